"""Everything that changes improvement actions: creating and editing them, the status
workflow, progress updates and deadline requests, and the history all of this leaves behind.
Also who may do what with an action, and the libraries of suggested actions and of
explanations for declining.

Every function takes the acting user, raises DomainError for anything a user can get wrong,
flushes and never commits: the caller commits once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from tracker import clock
from tracker.actions.authority import MeetingAuthority
from tracker.actions.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    ActionChange,
    ActionStatus,
    ActionTemplate,
    DeadlineDecision,
    DeadlineRequest,
    DeclineConstraint,
    DeclineTemplate,
    ImprovementAction,
    Priority,
    ProgressUpdate,
    Visibility,
)
from tracker.auth.models import Role, User
from tracker.auth.permissions import may_manage_department, require_admin
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.organisation.models import Department
from tracker.surveys.models import Finding, Sphere, Theme
from tracker.types import utcnow

MAX_TITLE = 200
MAX_TEXT = 5000
MAX_UPDATE = 2000

#: The steps forward from each open status; declining, cancelling and reopening are separate
#: steps. A planned action may be reported done at once: an owner who finished it without
#: first reporting "in progress" must not be refused.
FORWARD = {
    ActionStatus.proposed: (ActionStatus.planned,),
    ActionStatus.planned: (ActionStatus.in_progress, ActionStatus.done),
    ActionStatus.in_progress: (ActionStatus.done,),
}
FORWARD_STATUSES = {ActionStatus.planned, ActionStatus.in_progress, ActionStatus.done}


class ConflictError(DomainError):
    """Someone else saved the action after the form was opened."""

    def __init__(self, seen_version: int | None):
        # Not DomainError.__init__: it renders the message, which needs the database, and
        # after a failed flush the session must be rolled back first (the caller does).
        Exception.__init__(self, "conflict")
        self.field = None
        self.message = _l(
            "Someone else changed this action after you opened it. Their changes are listed "
            "below and are kept. Your input is still in the form: check it and save again."
        )
        self.seen_version = seen_version


# --- Who may do what ----------------------------------------------------------------------


def sees_internal(user: User, department_id: int) -> bool:
    """Directors (the services directorate reviews every department), admins and the
    department's own people see all of a department's actions."""
    return user.is_admin or user.role is Role.director or department_id in user.department_ids


def may_view_details(user: User, action: ImprovementAction) -> bool:
    return sees_internal(user, action.department_id) or action.involves(user)


def is_public(action: ImprovementAction) -> bool:
    """Shown to everyone: public and decided (the rule of every public page and message)."""
    return action.visibility is Visibility.public and action.status in PUBLIC_STATUSES


def may_view(user: User, action: ImprovementAction) -> bool:
    """Everyone may read the public fields of a public action."""
    return is_public(action) or may_view_details(user, action)


def may_manage(user: User, action: ImprovementAction) -> bool:
    """Edit, reassign, decline, cancel, reopen, decide on deadlines."""
    return may_manage_department(user, action.department_id)


def may_update(user: User, action: ImprovementAction) -> bool:
    """Post progress updates."""
    return may_manage(user, action) or action.involves(user)


def may_create_in(user: User, department_id: int) -> bool:
    return may_manage_department(user, department_id)


def creatable_departments(user: User, department_ids) -> set[int]:
    """Of these departments, those where the user may create actions (for a page's links)."""
    return {d for d in department_ids if may_create_in(user, d)}


def _require_authority(authority: MeetingAuthority, user: User, action: ImprovementAction) -> None:
    """A meeting's authority, when one is given, must cover this person and this action
    (whoever they are: a change made in a meeting is the meeting's)."""
    if not isinstance(authority, MeetingAuthority):
        raise TypeError("authority must be a MeetingAuthority")
    refusal = authority.refusal(user, action)
    if refusal is not None:
        raise DomainError(refusal)


def update_statuses(user: User, action: ImprovementAction) -> list[ActionStatus]:
    """The statuses a progress update by this user may move the action to."""
    return list(FORWARD.get(action.status, ())) if may_update(user, action) else []


# --- History ------------------------------------------------------------------------------


def stored_value(value) -> str | None:
    """How a value is kept in the history: enum values, ISO dates, names, plain text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "value") and not isinstance(value, (int, str)):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, User):
        return value.name
    if isinstance(value, Finding):
        return finding_label(value)
    if isinstance(value, (list, tuple)):
        return "; ".join(stored_value(v) for v in value) or None
    return str(value)


def finding_label(finding: Finding) -> str:
    text = finding.question.text if finding.question else f"#{finding.id}"
    if len(text) > 100:
        text = text[:99] + "…"
    return f"{finding.round.name}: {text}" if finding.round else text


class _History:
    """Collects the changes of one service call: one author, one moment, one version."""

    def __init__(
        self,
        action: ImprovementAction,
        user: User | None,
        now: datetime,
        update: ProgressUpdate | None = None,
        authority: MeetingAuthority | None = None,
    ):
        self.action = action
        self.user = user
        self.now = now
        self.update = update
        #: Decided in a meeting (already checked): each line notes the meeting.
        self.authority = authority
        self.changes: list[ActionChange] = []
        #: The version the changes are based on.
        self.seen_version = action.version

    def manages(self) -> bool:
        """The acting user may manage the action: its department's director, or a meeting
        that decides on it."""
        return self.authority is not None or (
            self.user is not None and may_manage(self.user, self.action)
        )

    def record(self, field: str, old, new, note: str | None = None) -> None:
        if self.authority is not None and self.authority.note not in (note or ""):
            note = f"{note} ({self.authority.note})" if note else self.authority.note
        self.changes.append(
            ActionChange(
                action_id=self.action.id,
                changed_by_id=self.user.id if self.user else None,
                changed_at=self.now,
                field=field,
                old_value=stored_value(old),
                new_value=stored_value(new),
                note=note,
                update=self.update,
                meeting_id=self.authority.meeting_id if self.authority else None,
                # The UPDATE that saves these changes raises the version by one.
                version=(self.action.version or 0) + 1,
            )
        )

    def set(self, field: str, new, note: str | None = None) -> bool:
        """Set an attribute and record it when it changes."""
        old = getattr(self.action, field)
        if old == new:
            return False
        self.record(field, old, new, note)
        setattr(self.action, field, new)
        return True

    def save(self) -> list[ActionChange]:
        if self.changes or self.update is not None:
            self.action.updated_at = self.now
            db.session.add_all(self.changes)
        _flush(self.seen_version)
        return self.changes


def _flush(seen_version: int | None = None) -> None:
    try:
        db.session.flush()
    except StaleDataError:
        # Another transaction raised the version between our read and our write.
        raise ConflictError(seen_version) from None


def _check_version(action: ImprovementAction, expected_version: int | None) -> None:
    if expected_version is None or action.version != expected_version:
        raise ConflictError(expected_version)


# --- Validation ---------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _check_length(value: str, limit: int, field: str) -> None:
    if len(value) > limit:
        raise DomainError(
            _l("This text is too long: at most %(limit)s characters.", limit=limit), field
        )


def _check_title(title: str) -> str:
    title = _clean(title)
    if not title:
        raise DomainError(_l("Give the action a title."), "title")
    if len(title) > MAX_TITLE:
        raise DomainError(
            _l(
                "The title can have at most %(limit)s characters. Put the details in the "
                "description.",
                limit=MAX_TITLE,
            ),
            "title",
        )
    return title


def _check_owner(owner: User | None) -> User:
    if owner is None:
        raise DomainError(_l("Choose the owner: the one person who sees to it."), "owner_id")
    if not owner.active:
        raise DomainError(
            _l("%(name)s's account is deactivated. Choose another owner.", name=owner.name),
            "owner_id",
        )
    return owner


def _check_co_owners(co_owners: Iterable[User], owner: User, current=()) -> list[User]:
    """The co-owners without the owner; newly chosen ones must have an active account
    (`current`: ids of co-owners the action already has, who may stay)."""
    current = set(current)
    chosen = []
    for user in co_owners:
        if user.id == owner.id or user in chosen:
            continue
        if not user.active and user.id not in current:
            raise DomainError(
                _l("%(name)s's account is deactivated and cannot be a co-owner.", name=user.name),
                "co_owner_ids",
            )
        chosen.append(user)
    return sorted(chosen, key=lambda u: u.name)


def _check_new_deadline(deadline: date | None, today: date) -> date:
    if deadline is None:
        raise DomainError(_l("Give a deadline."), "deadline")
    if deadline < today:
        raise DomainError(
            _l("The deadline is in the past. Choose today or a later date."), "deadline"
        )
    return deadline


def _check_findings(findings: Iterable[Finding], department_id: int) -> list[Finding]:
    findings = list(dict.fromkeys(findings))
    if any(f.department_id != department_id for f in findings):
        raise DomainError(
            _l("An action can only follow up findings of its own department."), "finding_ids"
        )
    return sorted(findings, key=lambda f: f.id)


def _optional_text(text: str | None, field: str, limit: int = MAX_TEXT) -> str | None:
    text = _clean(text)
    _check_length(text, limit, field)
    return text or None


# --- Creating and editing -----------------------------------------------------------------


def create_action(
    acting_user: User,
    *,
    department: Department,
    title: str,
    description: str = "",
    owner: User | None,
    deadline: date | None,
    co_owners: Iterable[User] = (),
    priority: Priority = Priority.normal,
    quick_win: bool = False,
    sphere: Sphere = Sphere.own,
    visibility: Visibility = Visibility.public,
    public_summary: str | None = None,
    findings: Iterable[Finding] = (),
    now: datetime | None = None,
) -> ImprovementAction:
    """A director (or admin) creates an action for their department."""
    now = now or utcnow()
    if not may_create_in(acting_user, department.id):
        raise DomainError(_l("You may only create actions for the departments you direct."))
    title = _check_title(title)
    description = _clean(description)
    _check_length(description, MAX_TEXT, "description")
    owner = _check_owner(owner)
    deadline = _check_new_deadline(deadline, clock.today(now))
    action = ImprovementAction(
        department=department,
        title=title,
        description=description,
        owner=owner,
        co_owners=_check_co_owners(co_owners, owner),
        deadline=deadline,
        priority=priority,
        quick_win=bool(quick_win),
        sphere=sphere,
        visibility=visibility,
        public_summary=_optional_text(public_summary, "public_summary"),
        findings=_check_findings(findings, department.id),
        status=ActionStatus.proposed,
        progress=0,
        created_by=acting_user,
        created_at=now,
        updated_at=now,
    )
    db.session.add(action)
    _flush()
    db.session.add(
        ActionChange(
            action_id=action.id,
            changed_by_id=acting_user.id,
            changed_at=now,
            field="created",
            new_value=title,
            version=action.version,
        )
    )
    _flush()
    return action


EDITABLE = (
    "title",
    "description",
    "owner",
    "co_owners",
    "deadline",
    "priority",
    "quick_win",
    "sphere",
    "visibility",
    "public_summary",
    "findings",
)


def update_action(
    acting_user: User,
    action: ImprovementAction,
    *,
    expected_version: int | None,
    now: datetime | None = None,
    authority: MeetingAuthority | None = None,
    **values,
) -> list[ActionChange]:
    """Change an action's fields (the director's edit form). Returns the recorded changes;
    none when nothing differed. Refused when the action changed since `expected_version`.
    `authority`: decided in a staff meeting (its deadline and owner only)."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    now = now or utcnow()
    if authority is not None:
        _require_authority(authority, acting_user, action)
        if set(values) - MeetingAuthority.FIELDS:
            raise DomainError(_l("Only the department's director may change this action."))
    elif not may_manage(acting_user, action):
        raise DomainError(_l("Only the department's director may change this action."))
    _check_version(action, expected_version)

    if "title" in values:
        values["title"] = _check_title(values["title"])
    if "description" in values:
        values["description"] = _clean(values["description"])
        _check_length(values["description"], MAX_TEXT, "description")
    if "public_summary" in values:
        values["public_summary"] = _optional_text(values["public_summary"], "public_summary")
    if "quick_win" in values:
        values["quick_win"] = bool(values["quick_win"])
    owner = values.get("owner", action.owner)
    if "owner" in values and (owner is None or owner.id != action.owner_id):
        _check_owner(owner)
    if "deadline" in values and values["deadline"] != action.deadline:
        values["deadline"] = _check_new_deadline(values["deadline"], clock.today(now))
    if "co_owners" in values:
        values["co_owners"] = _check_co_owners(
            values["co_owners"], owner, current=[u.id for u in action.co_owners]
        )
    elif "owner" in values:
        # The new owner is no longer also a co-owner.
        values["co_owners"] = [u for u in action.co_owners if u.id != owner.id]
    if "findings" in values:
        values["findings"] = _check_findings(values["findings"], action.department_id)

    history = _History(action, acting_user, now, authority=authority)
    for field in EDITABLE:
        if field not in values:
            continue
        new = values[field]
        if field in ("co_owners", "findings"):
            old = list(getattr(action, field))
            if [x.id for x in old] != [x.id for x in new]:
                history.record(field, old, new)
                setattr(action, field, new)
        elif field == "owner":
            if new.id != action.owner_id:
                history.record("owner", action.owner, new)
                action.owner = new
        else:
            history.set(field, new)
    return history.save()


# --- Status workflow ----------------------------------------------------------------------


def _transition(
    history: _History,
    acting_user: User,
    new_status: ActionStatus,
    *,
    result: str | None = None,
    constraint: DeclineConstraint | None = None,
    explanation: str | None = None,
    reason: str | None = None,
) -> None:
    action = history.action
    current = action.status
    if new_status is current:
        raise DomainError(_l("The action already has this status."), "new_status")
    today = clock.today(history.now)

    if current in CLOSED_STATUSES:
        if new_status not in OPEN_STATUSES:
            raise DomainError(
                _l("This action is closed. Reopen it first to change its status."), "new_status"
            )
        if not history.manages():
            raise DomainError(_l("Only the department's director may reopen an action."))
        reason = _optional_text(reason, "reason", MAX_UPDATE)
        if not reason:
            raise DomainError(_l("Say why the action is reopened."), "reason")
        history.set("status", new_status, note=reason)
        history.set("closed_on", None)
        for field in ("result", "decline_constraint", "decline_explanation", "cancel_reason"):
            history.set(field, None)
        return

    if new_status is ActionStatus.declined:
        if not history.manages():
            raise DomainError(_l("Only the department's director may decline an action."))
        if constraint is None:
            raise DomainError(
                _l("Choose the constraint: budget, law, policy or outside our influence."),
                "constraint",
            )
        explanation = _optional_text(explanation, "explanation")
        if not explanation:
            raise DomainError(
                _l("Explain publicly why this is not done: internal customers will read it."),
                "explanation",
            )
        history.set("status", new_status)
        history.set("decline_constraint", constraint)
        history.set("decline_explanation", explanation)
        history.set("closed_on", today)
        return

    if new_status is ActionStatus.cancelled:
        if not history.manages():
            raise DomainError(_l("Only the department's director may cancel an action."))
        reason = _optional_text(reason, "reason", MAX_UPDATE)
        if not reason:
            raise DomainError(_l("Give the internal reason for cancelling."), "reason")
        history.set("status", new_status)
        history.set("cancel_reason", reason)
        history.set("closed_on", today)
        return

    if new_status not in FORWARD[current]:
        raise DomainError(
            _l(
                "An action that is %(current)s cannot become %(new)s. The next step is "
                "%(next)s (proposed → planned → in progress → done).",
                current=STATUS_WORDS[current],
                new=STATUS_WORDS[new_status],
                next=STATUS_WORDS[FORWARD[current][0]],
            ),
            "new_status",
        )
    if not (history.manages() or may_update(acting_user, action)):
        raise DomainError(_l("Only the owner or the department's director may do this."))
    if new_status is ActionStatus.done:
        result = _optional_text(result, "result")
        if not result:
            raise DomainError(
                _l('Describe the result ("we did …") to close the action as done.'), "result"
            )
        history.set("result", result)
        history.set("progress", 100)
        history.set("closed_on", today)
    history.set("status", new_status)


def check_result_goes_with_done(result: str | None, new_status: ActionStatus | None) -> None:
    """A result is only kept when the action closes as done: refuse rather than drop it."""
    if _clean(result) and new_status is not ActionStatus.done:
        raise DomainError(
            _l(
                'You described a result, but the action is not closed as done. Choose "Done" '
                "as the new status to close it with this result, or empty the result field."
            ),
            "new_status",
        )


#: Status names inside sentences.
STATUS_WORDS = {
    ActionStatus.proposed: _l("proposed"),
    ActionStatus.planned: _l("planned"),
    ActionStatus.in_progress: _l("in progress"),
    ActionStatus.done: _l("done"),
    ActionStatus.declined: _l("declined"),
    ActionStatus.cancelled: _l("cancelled"),
}


def change_status(
    acting_user: User,
    action: ImprovementAction,
    new_status: ActionStatus,
    *,
    expected_version: int | None,
    result: str | None = None,
    constraint: DeclineConstraint | None = None,
    explanation: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
    authority: MeetingAuthority | None = None,
) -> list[ActionChange]:
    """Move an action along its workflow: forward, declined (public explanation), cancelled
    (internal reason), or reopened from a closed state (with a reason). `authority`:
    decided in a staff meeting."""
    if authority is not None:
        _require_authority(authority, acting_user, action)
    _check_version(action, expected_version)
    history = _History(action, acting_user, now or utcnow(), authority=authority)
    _transition(
        history,
        acting_user,
        new_status,
        result=result,
        constraint=constraint,
        explanation=explanation,
        reason=reason,
    )
    return history.save()


def decline_action(acting_user, action, *, expected_version, constraint, explanation, now=None):
    return change_status(
        acting_user,
        action,
        ActionStatus.declined,
        expected_version=expected_version,
        constraint=constraint,
        explanation=explanation,
        now=now,
    )


def cancel_action(acting_user, action, *, expected_version, reason, now=None):
    return change_status(
        acting_user,
        action,
        ActionStatus.cancelled,
        expected_version=expected_version,
        reason=reason,
        now=now,
    )


def reopen_action(acting_user, action, *, expected_version, status, reason, now=None):
    if action.status.is_open:
        raise DomainError(_l("This action is still open."))
    return change_status(
        acting_user, action, status, expected_version=expected_version, reason=reason, now=now
    )


# --- Progress updates and deadline requests ----------------------------------------------


def post_update(
    acting_user: User,
    action: ImprovementAction,
    *,
    expected_version: int | None,
    text: str,
    percent: int | None = None,
    new_status: ActionStatus | None = None,
    result: str | None = None,
    requested_deadline: date | None = None,
    public: bool = False,
    stuck: bool = False,
    now: datetime | None = None,
) -> ProgressUpdate:
    """The owner reports progress: a short text, a percentage, optionally the next status
    and a request for a new deadline. `public`: the text may be shown on "you said, we did"
    (only for a public action)."""
    now = now or utcnow()
    if not may_update(acting_user, action):
        raise DomainError(_l("Only the owner or the department's director may post updates."))
    _check_version(action, expected_version)
    if not action.status.is_open:
        raise DomainError(
            _l("This action is closed. Ask the director to reopen it if there is more to do.")
        )
    text = _clean(text)
    if not text:
        raise DomainError(_l("Write a short update: what happened since the last one?"), "text")
    _check_length(text, MAX_UPDATE, "text")
    if percent is None:
        percent = action.progress
    if not 0 <= percent <= 100:
        raise DomainError(_l("The percentage is a number from 0 to 100."), "percent")
    if new_status is ActionStatus.done:
        percent = 100
    today = clock.today(now)
    if requested_deadline is not None:
        if requested_deadline <= today:
            raise DomainError(_l("Ask for a deadline after today."), "requested_deadline")
        if requested_deadline == action.deadline:
            raise DomainError(
                _l("This is already the deadline. Leave the field empty to keep it."),
                "requested_deadline",
            )

    if new_status is not None and new_status not in FORWARD_STATUSES:
        raise DomainError(
            _l("Declining, cancelling and reopening are done by the director on the action page."),
            "new_status",
        )
    check_result_goes_with_done(result, new_status)

    # Read before changing anything, so autoflush cannot save half a change.
    pending_requests = (
        list(
            db.session.scalars(
                select(DeadlineRequest).where(
                    DeadlineRequest.action_id == action.id,
                    DeadlineRequest.decision == DeadlineDecision.pending,
                )
            )
        )
        if requested_deadline is not None
        else []
    )

    update = ProgressUpdate(
        action_id=action.id,
        author_id=acting_user.id,
        created_at=now,
        text=text,
        percent=percent,
        new_status=new_status,
        requested_deadline=requested_deadline,
        public=bool(public) and action.visibility is Visibility.public,
        stuck=bool(stuck) and new_status is not ActionStatus.done,
    )
    history = _History(action, acting_user, now, update)
    if new_status is not None:
        _transition(history, acting_user, new_status, result=result)
    history.set("progress", percent)
    # Each update says anew whether the owner is stuck: the flag clears with the next one.
    history.set("stuck", update.stuck)
    if requested_deadline is not None:
        for pending in pending_requests:
            pending.decision = DeadlineDecision.withdrawn
            pending.decided_at = now
            history.record(
                "deadline_request", pending.requested_deadline, DeadlineDecision.withdrawn
            )
        db.session.add(
            DeadlineRequest(
                action_id=action.id,
                update=update,
                requested_by_id=acting_user.id,
                requested_at=now,
                previous_deadline=action.deadline,
                requested_deadline=requested_deadline,
                reason=text,
            )
        )
        history.record("deadline_request", None, requested_deadline)
    db.session.add(update)
    action.last_update_at = now
    history.save()
    return update


def decide_deadline_request(
    acting_user: User,
    deadline_request: DeadlineRequest,
    action: ImprovementAction,
    *,
    approve: bool,
    note: str | None = None,
    now: datetime | None = None,
    authority: MeetingAuthority | None = None,
) -> DeadlineRequest:
    """The director approves (the deadline moves) or rejects a request for more time.
    `authority`: decided in a staff meeting."""
    now = now or utcnow()
    if deadline_request.action_id != action.id:
        raise DomainError(_l("This request belongs to another action."))
    if authority is not None:
        _require_authority(authority, acting_user, action)
    elif not may_manage(acting_user, action):
        raise DomainError(_l("Only the department's director may decide on a new deadline."))
    if deadline_request.decision is not DeadlineDecision.pending:
        raise DomainError(_l("This request has already been decided."))
    note = _optional_text(note, "note", MAX_UPDATE)
    decision = DeadlineDecision.approved if approve else DeadlineDecision.rejected
    deadline_request.decision = decision
    deadline_request.decided_by_id = acting_user.id
    deadline_request.decided_at = now
    deadline_request.decision_note = note
    history = _History(action, acting_user, now, authority=authority)
    history.record(
        "deadline_request", deadline_request.requested_deadline, decision.value, note=note
    )
    if approve:
        history.set("deadline", deadline_request.requested_deadline, note=note)
    history.save()
    return deadline_request


# --- Libraries: suggested actions and explanations for declining -------------------------


def save_action_template(
    acting_user: User | None,
    template: ActionTemplate | None = None,
    *,
    title: str,
    description: str = "",
    theme: Theme | None = None,
    typical_duration_days: int = 30,
    quick_win: bool = False,
    active: bool = True,
) -> ActionTemplate:
    """Create (template None) or change a suggested action. acting_user None: the demo."""
    require_admin(acting_user)
    title = _check_title(title)
    description = _clean(description)
    _check_length(description, MAX_TEXT, "description")
    if not 1 <= (typical_duration_days or 0) <= 730:
        raise DomainError(
            _l("The typical duration is between 1 and 730 days."), "typical_duration_days"
        )
    template = template or ActionTemplate()
    template.title = title
    template.description = description
    template.theme = theme
    template.typical_duration_days = typical_duration_days
    template.quick_win = bool(quick_win)
    template.active = bool(active)
    db.session.add(template)
    db.session.flush()
    return template


def save_decline_template(
    acting_user: User | None,
    template: DeclineTemplate | None = None,
    *,
    constraint: DeclineConstraint,
    title: str,
    text: str,
    active: bool = True,
) -> DeclineTemplate:
    require_admin(acting_user)
    title = _check_title(title)
    text = _clean(text)
    if not text:
        raise DomainError(_l("Write the explanation."), "text")
    _check_length(text, MAX_TEXT, "text")
    template = template or DeclineTemplate()
    template.constraint = constraint
    template.title = title
    template.text = text
    template.active = bool(active)
    db.session.add(template)
    db.session.flush()
    return template
