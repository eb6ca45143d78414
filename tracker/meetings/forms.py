"""Forms of the meeting pages, and the labels of the meetings' enumerations.

Forms check types only; the rules (and their messages) live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Optional

from tracker.actions.forms import CONSTRAINT_LABELS
from tracker.forms import DayField, MultiCheckboxField, WholeNumberField
from tracker.inputs import whole_number
from tracker.meetings.models import AgendaSection, ClosedDayRule, ItemState, Recurrence

SECTION_LABELS = {
    AgendaSection.rollover: _l("Not reached last time"),
    AgendaSection.overdue: _l("Overdue actions"),
    AgendaSection.attention: _l("Asks for a new deadline or stuck"),
    AgendaSection.due_soon: _l("Due before the next meeting"),
    AgendaSection.proposed: _l("New actions awaiting approval"),
    AgendaSection.finding: _l("Findings to act on, without an action yet"),
    AgendaSection.declined: _l("Declined since the last meeting: confirm the explanation"),
    AgendaSection.done: _l("Done since the last meeting: celebrate and publish"),
    AgendaSection.effects: _l("Effect of our actions (new survey results)"),
    AgendaSection.reactions: _l("What colleagues said"),
    AgendaSection.free: _l("Other items"),
}
RECURRENCE_LABELS = {
    Recurrence.weekly: _l("Every week"),
    Recurrence.biweekly: _l("Every two weeks"),
    Recurrence.monthly: _l("Every month, on the n-th weekday"),
}
WEEKDAY_LABELS = [
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
]
WEEK_OF_MONTH_LABELS = [
    (1, _l("first")),
    (2, _l("second")),
    (3, _l("third")),
    (4, _l("fourth")),
    (-1, _l("last")),
]
CLOSED_DAY_LABELS = {
    ClosedDayRule.move: _l("Move it to the next working day"),
    ClosedDayRule.skip: _l("Skip the meeting"),
}
STATE_LABELS = {
    ItemState.open: _l("Not discussed yet"),
    ItemState.decided: _l("Decided"),
    ItemState.rolled_over: _l("Not reached: to the next meeting"),
}


def _rule_value(value):
    return value.value if isinstance(value, ClosedDayRule) else value


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SeriesForm(FlaskForm):
    title = StringField(
        _l("Name"), description=_l('E.g. "Staff meeting of the services directorate".')
    )
    body = SelectField(_l("Meeting of"), validate_choice=False)
    recurrence = SelectField(
        _l("Recurrence"), choices=[(r.value, label) for r, label in RECURRENCE_LABELS.items()]
    )
    weekday = SelectField(
        _l("Day of the week"),
        coerce=whole_number,
        choices=[(i, label) for i, label in enumerate(WEEKDAY_LABELS)],
    )
    week_of_month = SelectField(
        _l("Week of the month (monthly meetings)"),
        coerce=_int_or_none,
        choices=WEEK_OF_MONTH_LABELS,
    )
    starts_on = DayField(_l("From"), validators=[Optional()])
    ends_on = DayField(_l("Until (optional)"), validators=[Optional()])
    start_time = TimeField(
        _l("Time"), validators=[Optional()], description=_l("In the organisation's time zone.")
    )
    duration_minutes = WholeNumberField(
        _l("Duration (minutes)"), default=60, validators=[Optional()]
    )
    location = StringField(_l("Place"), validators=[Optional()])
    online_url = StringField(_l("Online link (optional)"), validators=[Optional()])
    attendee_ids = MultiCheckboxField(_l("Attendees"), coerce=whole_number, validate_choice=False)
    agenda_days_before = WholeNumberField(
        _l("Build the agenda this many days before"), default=3, validators=[Optional()]
    )
    on_closed_day = SelectField(
        _l("When a meeting falls on a public holiday or closed day"),
        choices=[(rule.value, label) for rule, label in CLOSED_DAY_LABELS.items()],
        coerce=_rule_value,
        default=ClosedDayRule.move.value,
        description=_l(
            "Public holidays and the organisation's closed days are set by the administrator. "
            "A meeting is not moved onto the day of the next one or later: then it is skipped."
        ),
    )
    submit = SubmitField(_l("Save"))


class MeetingForm(FlaskForm):
    day = DayField(_l("Date"), validators=[Optional()])
    start_time = TimeField(_l("Time"), validators=[Optional()])
    duration_minutes = WholeNumberField(_l("Duration (minutes)"), validators=[Optional()])
    location = StringField(_l("Place"), validators=[Optional()])
    online_url = StringField(_l("Online link (optional)"), validators=[Optional()])
    #: Shown once the date turned out to be a public holiday or closed day.
    on_closed_day = BooleanField(_l("Yes, the meeting takes place on this day anyway"))
    submit = SubmitField(_l("Move the meeting"))


class FreeItemForm(FlaskForm):
    title = StringField(_l("Item"))
    description = TextAreaField(_l("Explanation (optional)"), render_kw={"rows": 2})
    submit = SubmitField(_l("Add to the agenda"))


class OutcomeForm(FlaskForm):
    version = HiddenField()
    decision = TextAreaField(
        _l("Decision or note"),
        render_kw={"rows": 3},
        description=_l("Goes into the minutes and the action's history."),
    )
    deadline_request = SelectField(
        _l("Request for a new deadline"),
        choices=[("", _l("(no decision)")), ("approve", _l("Approve")), ("reject", _l("Reject"))],
        # Only shown when a request is pending; the service checks the value.
        validate_choice=False,
    )
    new_deadline = DayField(_l("New deadline"), validators=[Optional()])
    owner_id = SelectField(_l("Owner"), coerce=_int_or_none, validate_choice=False)
    new_status = SelectField(_l("Status"), validate_choice=False)
    result = TextAreaField(_l('Result ("we did …"), when done'), render_kw={"rows": 2})
    constraint = SelectField(
        _l("Constraint, when declined"),
        choices=[("", "–")] + [(c.value, label) for c, label in CONSTRAINT_LABELS.items()],
        validate_choice=False,
    )
    explanation = TextAreaField(_l("Public explanation, when declined"), render_kw={"rows": 2})
    reason = StringField(_l("Reason, when cancelled or reopened"))
    submit = SubmitField(_l("Record the decision"))


class MinutesForm(FlaskForm):
    version = HiddenField()
    text = TextAreaField(_l("Minutes"), render_kw={"rows": 20})
    submit = SubmitField(_l("Save the minutes"))
