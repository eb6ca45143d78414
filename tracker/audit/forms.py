from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length, NumberRange, Optional

from tracker.forms import DayField, WholeNumberField


class AuditFilterForm(FlaskForm):
    """Filters of the audit trail; sent with GET so a filtered list has its own address."""

    class Meta:
        csrf = False

    action = SelectField(_l("What happened"), default="")
    actor = StringField(
        _l("Who (user number or name of a client)"), validators=[Optional(), Length(max=120)]
    )
    subject_type = SelectField(_l("Kind of subject"), default="")
    subject_id = WholeNumberField(
        _l("Subject number"), validators=[Optional(), NumberRange(min=1, max=2**62)]
    )
    since = DayField(_l("From"), validators=[Optional()])
    until = DayField(_l("Until"), validators=[Optional()])
    text = StringField(_l("Containing"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Filter"))
