from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from tracker.provisioning.queries import token_named


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        description=_l(
            "Which client uses it, e.g. entra-id or keycloak. It appears in the security log."
        ),
        validators=[DataRequired(), Length(max=100)],
    )
    submit = SubmitField(_l("Create token"))

    def validate_name(self, field):
        if token_named(field.data) is not None:
            raise ValidationError(_l("There is already a token with this name; choose another."))


class PeopleImportForm(FlaskForm):
    file = FileField(
        _l("HR file"),
        description=_l(
            "CSV or Excel (.xlsx) with the columns naam, e-mailadres, afdeling and "
            "rol (or name, email, department, role)."
        ),
        validators=[FileRequired(_l("Choose a file."))],
    )
    deactivate_missing = BooleanField(
        _l("Deactivate active people who are not in the file"),
        description=_l("Never you, and never the last administrator."),
    )
    submit = SubmitField(_l("Upload and preview"))


class ConfirmPeopleImportForm(FlaskForm):
    deactivate_missing = HiddenField()
    submit = SubmitField(_l("Import"))
