from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from tracker.auth.models import Role
from tracker.auth.queries import group_mapping_named
from tracker.forms import MultiCheckboxField
from tracker.inputs import whole_number

MIN_PASSWORD = 10

LOCALE_CHOICES = [
    ("", _l("Organisation default")),
    ("nl", "Nederlands", {"lang": "nl"}),
    ("en", "English", {"lang": "en"}),
]


def role_choices():
    return [
        (Role.employee.value, _l("Employee")),
        (Role.owner.value, _l("Action owner")),
        (Role.director.value, _l("Director")),
        (Role.admin.value, _l("Administrator")),
    ]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this computer"))
    submit = SubmitField(_l("Log in"))


class LanguageForm(FlaskForm):
    """Choosing a language changes nothing worth protecting, and without a CSRF token the
    pages anonymous visitors read (kiosk mode) can be cached and shared."""

    class Meta:
        csrf = False

    # Each language's name in that language, marked so a screen reader pronounces it so.
    language = SelectField(
        _l("Language"),
        choices=[("nl", "Nederlands", {"lang": "nl"}), ("en", "English", {"lang": "en"})],
    )
    submit = SubmitField(_l("Change language"))


class AccountForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    digest_opt_out = BooleanField(
        _l("Do not send me the weekly overview of my actions"),
        description=_l("Reminders about deadlines are still sent."),
    )
    submit = SubmitField(_l("Save"))


def new_password_field(description=None) -> PasswordField:
    """The password rules, the same wherever someone chooses a password."""
    return PasswordField(
        _l("New password"),
        description=description,
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200)],
    )


def repeat_password_field() -> PasswordField:
    return PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = new_password_field()
    confirm = repeat_password_field()
    submit = SubmitField(_l("Change password"))


class SetPasswordForm(FlaskForm):
    """Choosing a password with a link from an invitation or a reset mail."""

    new_password = new_password_field(_l("At least 10 characters."))
    confirm = repeat_password_field()
    submit = SubmitField(_l("Save password and log in"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Mail me a link"))


class UserForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices)
    active = BooleanField(_l("Active (may log in)"), default=True)
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    directs = MultiCheckboxField(_l("Director of"), coerce=whole_number)
    staff_of = MultiCheckboxField(_l("Staff member of"), coerce=whole_number)
    submit = SubmitField(_l("Save"))


class ConfirmForm(FlaskForm):
    """An empty form: a button with CSRF protection."""

    submit = SubmitField(_l("Confirm"))


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class GroupMappingForm(FlaskForm):
    group_name = StringField(
        _l("Group at the identity provider"),
        description=_l(
            "Exactly as the provider sends it in the groups claim: a name, a path such as "
            "/ict/staff, or (Entra ID) the group's object id. Upper and lower case do not matter."
        ),
        validators=[DataRequired(), Length(max=255)],
    )
    role = SelectField(_l("Role"), choices=role_choices)
    department_id = SelectField(
        _l("Department"),
        description=_l("Directors direct this department; every other role is its staff."),
        coerce=_optional_int,
        validate_choice=True,
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, mapping=None, **kwargs):
        super().__init__(*args, obj=mapping, **kwargs)
        #: The mapping being edited (None: a new one).
        self.mapping = mapping

    def validate_group_name(self, field):
        other = group_mapping_named(field.data.strip())
        if other is not None and other is not self.mapping:
            raise ValidationError(_l("This group already has a mapping."))
