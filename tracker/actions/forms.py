"""Forms of the action pages, and the labels of the actions' enumerations.

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
)
from wtforms.validators import NumberRange, Optional

from tracker.actions.models import (
    ActionStatus,
    DeadlineDecision,
    DeclineConstraint,
    Priority,
    Visibility,
)
from tracker.forms import DayField, MultiCheckboxField, WholeNumberField
from tracker.inputs import whole_number
from tracker.surveys.models import Sphere

STATUS_LABELS = {
    ActionStatus.proposed: _l("Proposed"),
    ActionStatus.planned: _l("Planned"),
    ActionStatus.in_progress: _l("In progress"),
    ActionStatus.done: _l("Done"),
    ActionStatus.declined: _l("Declined"),
    ActionStatus.cancelled: _l("Cancelled"),
}
PRIORITY_LABELS = {
    Priority.high: _l("High"),
    Priority.normal: _l("Normal"),
    Priority.low: _l("Low"),
}
SPHERE_LABELS = {
    Sphere.own: _l("Own sphere of influence"),
    Sphere.management: _l("Needs management"),
    Sphere.outside: _l("Outside our influence"),
}
VISIBILITY_LABELS = {
    Visibility.public: _l('Public (on "you said, we did")'),
    Visibility.internal: _l("Internal only"),
}
CONSTRAINT_LABELS = {
    DeclineConstraint.budget: _l("Budget"),
    DeclineConstraint.law: _l("Law and regulations"),
    DeclineConstraint.policy: _l("Policy"),
    DeclineConstraint.outside: _l("Outside our influence"),
}
DECISION_LABELS = {
    DeadlineDecision.pending: _l("Waiting for a decision"),
    DeadlineDecision.approved: _l("Approved"),
    DeadlineDecision.rejected: _l("Rejected"),
    DeadlineDecision.withdrawn: _l("Replaced by a newer request"),
}


def _choices(labels: dict) -> list[tuple[str, str]]:
    return [(member.value, label) for member, label in labels.items()]


class ActionForm(FlaskForm):
    title = StringField(
        _l("Title"),
        description=_l('Concrete behaviour, e.g. "Call back every ticket within 4 working hours".'),
    )
    description = TextAreaField(
        _l("Description"),
        description=_l("What concretely changes, for whom, and how you will know it worked."),
        render_kw={"rows": 4},
    )
    # Choices are people; the service checks the choice, with a message that says why.
    owner_id = SelectField(_l("Owner"), coerce=whole_number, validate_choice=False)
    co_owner_ids = MultiCheckboxField(_l("Co-owners"), coerce=whole_number, validate_choice=False)
    deadline = DayField(_l("Deadline"), validators=[Optional()])
    priority = SelectField(_l("Priority"), choices=_choices(PRIORITY_LABELS), default="normal")
    quick_win = BooleanField(
        _l("Quick win"), description=_l("Fast to do and visible to internal customers.")
    )
    sphere = SelectField(_l("Sphere of influence"), choices=_choices(SPHERE_LABELS), default="own")
    visibility = SelectField(
        _l("Visibility"), choices=_choices(VISIBILITY_LABELS), default="public"
    )
    public_summary = TextAreaField(
        _l("Public summary"),
        description=_l('What internal customers read on "you said, we did".'),
        render_kw={"rows": 3},
    )
    finding_ids = MultiCheckboxField(
        _l("Findings this action follows up"), coerce=whole_number, validate_choice=False
    )
    version = HiddenField()
    submit = SubmitField(_l("Save"))


class UpdateForm(FlaskForm):
    """The owner's quick update: text and percentage, the rest optional."""

    text = TextAreaField(_l("What happened?"), render_kw={"rows": 2})
    percent = WholeNumberField(
        _l("Progress (%)"),
        validators=[Optional(), NumberRange(min=0, max=100)],
        render_kw={"min": 0, "max": 100, "step": 5},
    )
    new_status = SelectField(_l("New status"), choices=[("", _l("(unchanged)"))], default="")
    result = TextAreaField(
        _l('Result ("we did …")'),
        description=_l("Required to close the action as done."),
        render_kw={"rows": 2},
    )
    requested_deadline = DayField(
        _l("Ask for a new deadline"),
        validators=[Optional()],
        description=_l("The director approves or rejects it."),
    )
    public = BooleanField(_l('Also show this update on "you said, we did"'))
    stuck = BooleanField(
        _l("I am stuck and need help"),
        description=_l("The action goes on the agenda of the next staff meeting."),
    )
    version = HiddenField()
    origin = HiddenField()
    submit = SubmitField(_l("Post update"))


class DeclineForm(FlaskForm):
    constraint = SelectField(_l("Constraint"), choices=_choices(CONSTRAINT_LABELS))
    explanation = TextAreaField(
        _l("Public explanation"),
        description=_l(
            "Why this is not done. Internal customers read this: be open about the constraint."
        ),
        render_kw={"rows": 5},
    )
    version = HiddenField()
    submit = SubmitField(_l("Decline the action"))


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Internal reason"), render_kw={"rows": 2})
    version = HiddenField()
    submit = SubmitField(_l("Cancel the action"))


class ReopenForm(FlaskForm):
    status = SelectField(
        _l("Reopen as"),
        choices=[
            (s.value, STATUS_LABELS[s])
            for s in (ActionStatus.in_progress, ActionStatus.planned, ActionStatus.proposed)
        ],
    )
    reason = TextAreaField(_l("Why reopen?"), render_kw={"rows": 2})
    version = HiddenField()
    submit = SubmitField(_l("Reopen"))


class DeadlineDecisionForm(FlaskForm):
    note = StringField(_l("Note (optional)"))
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))


class ActionTemplateForm(FlaskForm):
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 4})
    theme_id = SelectField(_l("Theme"), coerce=whole_number)
    typical_duration_days = WholeNumberField(
        _l("Typical duration (days)"), default=30, validators=[Optional()]
    )
    quick_win = BooleanField(_l("Quick win"))
    active = BooleanField(_l("Offered when creating actions"), default=True)
    submit = SubmitField(_l("Save"))


class DeclineTemplateForm(FlaskForm):
    constraint = SelectField(_l("Constraint"), choices=_choices(CONSTRAINT_LABELS))
    title = StringField(_l("Title"))
    text = TextAreaField(_l("Explanation"), render_kw={"rows": 5})
    active = BooleanField(_l("Offered when declining"), default=True)
    submit = SubmitField(_l("Save"))


SORT_CHOICES = [
    ("deadline", _l("Deadline")),
    ("status", _l("Status")),
    ("priority", _l("Priority")),
    ("owner", _l("Owner")),
    ("title", _l("Title")),
    ("updated", _l("Last update")),
]


class FilterForm(FlaskForm):
    """The filters of the overviews; sent with GET so a filtered list has its own address."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="")
    owner = SelectField(_l("Owner"), default="")
    department = SelectField(_l("Department"), default="")
    overdue = BooleanField(_l("Overdue only"))
    due_within = WholeNumberField(
        _l("Due within (days)"),
        validators=[Optional(), NumberRange(min=0, max=3650)],
        render_kw={"min": 0},
    )
    round = SelectField(_l("Survey round"), default="")
    theme = SelectField(_l("Theme"), default="")
    quick_win = BooleanField(_l("Quick wins only"))
    sort = SelectField(_l("Sort by"), choices=SORT_CHOICES, default="deadline")
    direction = SelectField(
        _l("Order"),
        choices=[("asc", _l("Ascending")), ("desc", _l("Descending"))],
        default="asc",
    )
    submit = SubmitField(_l("Filter"))
