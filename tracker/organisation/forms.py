from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from tracker.forms import DecimalCommaField, MultiCheckboxField, WholeNumberField
from tracker.inputs import whole_number
from tracker.organisation.closed_days import country_choices

PUBLISH_OWNER_NAMES = _l('Show the names of action owners on "you said, we did"')


class DepartmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(
        _l("Short name"),
        description=_l("Used in tables and charts, e.g. ICT or P&O."),
        validators=[DataRequired(), Length(max=40)],
    )
    directorate_id = SelectField(_l("Directorate"), coerce=whole_number)
    active = BooleanField(_l("Active"), default=True)
    publish_owner_names = BooleanField(PUBLISH_OWNER_NAMES)
    aliases = TextAreaField(
        _l("Other names in survey files"),
        description=_l(
            "One per line. An import recognises the department by these names too; "
            "the import wizard adds the names you map by hand."
        ),
    )
    predecessors = MultiCheckboxField(
        _l("Renamed or merged from"),
        description=_l(
            "Departments whose survey results continue in this one: the change since "
            "the previous round and the effect of their actions are measured here."
        ),
        coerce=whole_number,
    )
    submit = SubmitField(_l("Save"))


class StaffForm(FlaskForm):
    staff = MultiCheckboxField(_l("Staff members"), coerce=whole_number)
    publish_owner_names = BooleanField(PUBLISH_OWNER_NAMES)
    submit = SubmitField(_l("Save"))


class DirectorateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Add"))


class SettingsForm(FlaskForm):
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=200)])
    default_locale = SelectField(
        _l("Default language"),
        choices=[("nl", "Nederlands", {"lang": "nl"}), ("en", "English", {"lang": "en"})],
    )
    anonymity_threshold = WholeNumberField(
        _l("Anonymity threshold"),
        description=_l("Groups with fewer respondents get no score and no quotes."),
        validators=[InputRequired(), NumberRange(min=1, max=100)],
    )
    timezone = SelectField(
        _l("Time zone"),
        # Named by country and city as people know them; the value stays the IANA name.
        choices=[
            ("Europe/Amsterdam", _l("Netherlands (Amsterdam)")),
            ("Europe/Brussels", _l("Belgium (Brussels)")),
            ("Europe/London", _l("United Kingdom (London)")),
            ("UTC", _l("Coordinated Universal Time (UTC)")),
        ],
    )
    public_without_login = BooleanField(
        _l('"You said, we did" can be read without logging in (kiosk mode)'),
        description=_l("Reacting and following still need a log-in."),
    )
    finding_below_benchmark = DecimalCommaField(
        _l("Propose a finding when the score is below the benchmark by at least"),
        description=_l("Points on a 1–10 scale; scaled for 1–5 and yes/no questions."),
        places=1,
        validators=[InputRequired(), NumberRange(min=0, max=9)],
    )
    finding_dropped = DecimalCommaField(
        _l("… or has dropped since the previous round by at least"),
        places=1,
        validators=[InputRequired(), NumberRange(min=0, max=9)],
    )
    finding_lowest_count = WholeNumberField(
        _l("… and always the lowest results per department, this many"),
        validators=[InputRequired(), NumberRange(min=0, max=50)],
    )
    finding_strength_above = DecimalCommaField(
        _l("Mark a strength when the score is above the benchmark by at least"),
        places=1,
        validators=[InputRequired(), NumberRange(min=0, max=9)],
    )
    reminder_days_before = StringField(
        _l("Remind owners this many days before the deadline"),
        description=_l("Separated by commas, e.g. 14, 3, 0 (0 is the day itself)."),
        validators=[DataRequired(), Length(max=40)],
    )
    escalation_days = WholeNumberField(
        _l("Tell the directors when an action is this many days past its deadline"),
        validators=[InputRequired(), NumberRange(min=1, max=365)],
    )
    holiday_country = SelectField(
        _l("Public holidays of"),
        description=_l("No staff meetings are planned on these days."),
        # The service checks the country (and its region).
        validate_choice=False,
    )
    holiday_region = StringField(
        _l("Region (optional)"),
        description=_l(
            "Only for countries whose public holidays differ per region, e.g. BY for Bavaria."
        ),
        validators=[Length(max=40)],
    )
    closed_days = TextAreaField(
        _l("Extra closed days"),
        description=_l(
            "One day or period per line, e.g. 28-05-2027, or 27-12 – 31-12 for every year; a "
            "description may follow a colon. No staff meetings are planned on these days."
        ),
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.holiday_country.choices = [("", _l("None"))] + country_choices(
            str(get_locale() or "nl")
        )
