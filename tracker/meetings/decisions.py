"""Meeting mode: the decisions recorded on agenda items (through the actions' own services, so
the same rules and history apply, noted as "decided in <meeting>"), closing the meeting,
and the minutes.

The meeting decides on its whole agenda, also on actions of departments its chair does not
direct: `meeting_authority()` gives the chair (or a director of the series) the meeting's
authority while it is open, and the actions' services accept it for the actions on its
agenda only (see `tracker/actions/authority.py`).

Every function takes the acting user, raises DomainError for anything a user can get wrong,
flushes and never commits: the caller commits once.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from tracker import clock
from tracker.actions import services as actions
from tracker.actions.authority import MeetingAuthority
from tracker.actions.models import (
    ActionChange,
    ActionStatus,
    DeadlineDecision,
    DeadlineRequest,
    DeclineConstraint,
    ImprovementAction,
)
from tracker.auth.models import User
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.formatting import DAY_PATTERN
from tracker.meetings.agenda import visible_items
from tracker.meetings.models import (
    AgendaItem,
    ItemState,
    Meeting,
    MeetingStatus,
)
from tracker.meetings.permissions import may_chair
from tracker.meetings.services import (
    MAX_TEXT,
    check_length,
    clean_text,
    mail_attendees,
    require_manager,
)
from tracker.organisation.queries import get_organisation
from tracker.types import utcnow


class MeetingConflict(DomainError):
    """The action (or the minutes) changed after the form was opened."""

    def __init__(self, message):
        Exception.__init__(self, "conflict")
        self.message = message
        self.field = None


# --- The meeting's authority ----------------------------------------------------------------


def _meeting_refusal(user: User, meeting: Meeting):
    """Why `user` cannot decide in `meeting` now; None when they can."""
    if not may_chair(user, meeting.series):
        return _l("Only the chair and the directors of this meeting may record its decisions.")
    if meeting.status is MeetingStatus.cancelled:
        return _l("This meeting is cancelled.")
    if meeting.closed_at is not None:
        return _l(
            "This meeting is closed: it can no longer decide. Items not decided are on the "
            "agenda of the next meeting."
        )
    return None


def on_agenda(meeting: Meeting, action_id: int) -> bool:
    """The action is on the meeting's agenda (an item not removed)."""
    return (
        db.session.scalar(
            select(AgendaItem.id)
            .where(
                AgendaItem.meeting_id == meeting.id,
                AgendaItem.action_id == action_id,
                AgendaItem.removed.is_(False),
            )
            .limit(1)
        )
        is not None
    )


class AgendaAuthority(MeetingAuthority):
    """The authority of one open meeting, held by its chair or one of its directors, over
    the actions on its agenda. Checked anew at every change: a meeting closed meanwhile,
    an item removed or another person is refused."""

    def __init__(self, meeting: Meeting, holder: User):
        self.meeting = meeting
        self.meeting_id = meeting.id
        self.holder_id = holder.id
        self.note = meeting_note(meeting)

    def refusal(self, user: User, action: ImprovementAction):
        if user.id != self.holder_id:
            return _l("Only the chair and the directors of this meeting may record its decisions.")
        refusal = _meeting_refusal(user, self.meeting)
        if refusal is None and not on_agenda(self.meeting, action.id):
            refusal = _l(
                "This action is not on the agenda of this meeting, so the meeting cannot "
                "decide on it. Add it to the agenda of the next meeting, or ask the "
                "department's director."
            )
        return refusal


def meeting_authority(acting_user: User, meeting: Meeting) -> AgendaAuthority:
    """The meeting's authority for its chair or one of its directors, while it is open."""
    refusal = _meeting_refusal(acting_user, meeting)
    if refusal is not None:
        raise DomainError(refusal)
    return AgendaAuthority(meeting, acting_user)


# --- Meeting mode: outcomes ---------------------------------------------------------------


def meeting_note(meeting: Meeting) -> str:
    """ "decided in staff meeting of 12 Jan 2027", in the organisation's language: it goes
    into the action's history, which everyone reads."""
    with force_locale(get_organisation().default_locale):
        return _(
            "decided in staff meeting of %(date)s",
            date=format_date(clock.local_date(meeting.starts_at), DAY_PATTERN),
        )


def record_outcome(acting_user: User, item: AgendaItem, **values) -> AgendaItem:
    """Record what the meeting decided on an item. Changes to the action go through the
    actions' services (same rules, same history); the history also gets a line saying it was
    decided in this meeting. Refused (MeetingConflict) when the action changed after the
    form was opened; nothing is written then. The words it adds to the minutes and the
    history are in the organisation's language (everyone reads them)."""
    with force_locale(get_organisation().default_locale):
        return _record_outcome(acting_user, item, **values)


def _record_outcome(
    acting_user: User,
    item: AgendaItem,
    *,
    expected_version: int | None,
    decision: str | None = None,
    deadline_request: str | None = None,
    new_deadline: date | None = None,
    new_owner: User | None = None,
    new_status: ActionStatus | None = None,
    result: str | None = None,
    constraint: DeclineConstraint | None = None,
    explanation: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> AgendaItem:
    """Record what the meeting decided on an item. Changes to the action go through the
    actions' services (same rules, same history); the history also gets a line saying it was
    decided in this meeting. Refused (MeetingConflict) when the action changed after the
    form was opened; nothing is written then."""
    now = now or utcnow()
    meeting = item.meeting
    authority = meeting_authority(acting_user, meeting)
    if item.removed:
        raise DomainError(_l("This item was removed from the agenda."))
    decision = clean_text(decision) or None
    check_length(decision, MAX_TEXT, "decision")
    action = item.action
    note = meeting_note(meeting)
    words: list[str] = []
    if action is None:
        if not decision:
            raise DomainError(_l("Write down what was decided."), "decision")
    else:
        if expected_version is not None and action.version != expected_version:
            raise MeetingConflict(
                _l(
                    "This action changed after the agenda was built or the page was opened. Its "
                    "current state is shown below; your input is kept. Check it and record the "
                    "decision again."
                )
            )
        anything = decision or deadline_request or new_deadline or new_owner or new_status
        if not anything:
            raise DomainError(_l("Write down the decision, or choose what changes."), "decision")
        _check_status_texts(action, new_status, result, explanation, reason)
        with_note = f"{note}: {decision}" if decision else note
        if deadline_request in ("approve", "reject"):
            request = db.session.scalar(
                select(DeadlineRequest)
                .where(
                    DeadlineRequest.action_id == action.id,
                    DeadlineRequest.decision == DeadlineDecision.pending,
                )
                .order_by(DeadlineRequest.id.desc())
                .limit(1)
            )
            if request is None:
                raise DomainError(
                    _l("There is no request for a new deadline to decide on any more."),
                    "deadline_request",
                )
            actions.decide_deadline_request(
                acting_user,
                request,
                action,
                approve=deadline_request == "approve",
                note=with_note,
                now=now,
                authority=authority,
            )
            words.append(
                _(
                    "New deadline %(date)s approved.",
                    date=format_date(request.requested_deadline, DAY_PATTERN),
                )
                if deadline_request == "approve"
                else _("Request for a new deadline rejected.")
            )
        changes = {}
        if new_deadline is not None and new_deadline != action.deadline:
            changes["deadline"] = new_deadline
        if new_owner is not None and new_owner.id != action.owner_id:
            changes["owner"] = new_owner
        if changes:
            actions.update_action(
                acting_user,
                action,
                expected_version=action.version,
                now=now,
                authority=authority,
                **changes,
            )
            if "deadline" in changes:
                words.append(
                    _("Deadline moved to %(date)s.", date=format_date(new_deadline, DAY_PATTERN))
                )
            if "owner" in changes:
                words.append(_("Owner is now %(name)s.", name=new_owner.name))
        if new_status is not None and new_status is not action.status:
            actions.change_status(
                acting_user,
                action,
                new_status,
                expected_version=action.version,
                result=result,
                constraint=constraint,
                explanation=explanation,
                reason=f"{reason} ({note})"
                if clean_text(reason)
                else (
                    with_note
                    if not action.status.is_open or new_status is ActionStatus.cancelled
                    else None
                ),
                now=now,
                authority=authority,
            )
            words.append(_("Status: %(status)s.", status=actions.STATUS_WORDS[new_status]))
        db.session.add(
            ActionChange(
                action_id=action.id,
                changed_by_id=acting_user.id,
                changed_at=now,
                field="staff_meeting",
                old_value=None,
                new_value=decision or " ".join(words),
                note=note,
                version=action.version,
                meeting_id=meeting.id,
            )
        )
    summary = " ".join(filter(None, [decision, " ".join(words)]))
    item.outcome = summary
    item.state = ItemState.decided
    item.decided_at = now
    item.decided_by_id = acting_user.id
    try:
        db.session.flush()
    except StaleDataError:
        raise actions.ConflictError(expected_version) from None
    return item


def _check_status_texts(action, new_status, result, explanation, reason) -> None:
    """Texts that only go with a change of status are refused without it, never dropped."""
    actions.check_result_goes_with_done(result, new_status)
    if clean_text(explanation) and new_status is not ActionStatus.declined:
        raise DomainError(
            _l(
                'You wrote a public explanation, but the action is not declined. Choose "Declined" '
                "as the new status, or empty the explanation."
            ),
            "new_status",
        )
    closing_or_reopening = new_status is ActionStatus.cancelled or (
        new_status is not None and not action.status.is_open
    )
    if clean_text(reason) and not closing_or_reopening:
        raise DomainError(
            _l(
                "A reason is kept when the action is cancelled or reopened. Choose that as the "
                "new status, or empty the reason."
            ),
            "new_status",
        )


def record_attendance(acting_user: User | None, meeting: Meeting, present_ids) -> Meeting:
    """Who of the attendees was there: the others are the absentees in the minutes. The
    chair (or whoever manages the meeting) records it, until the minutes are published."""
    require_manager(acting_user, meeting.series)
    if meeting.status is MeetingStatus.cancelled:
        raise DomainError(_l("This meeting is cancelled."))
    if meeting.minutes_published_at is not None:
        raise DomainError(_l("The minutes are published; attendance can no longer change."))
    attendees = {person.id: person for person in meeting.series.attendees}
    present = set(present_ids)
    if not present <= set(attendees):
        raise DomainError(_l("Choose from the attendees of this meeting."), "present")
    meeting.absentees = [person for pid, person in attendees.items() if pid not in present]
    db.session.flush()
    return meeting


def attendance_lines(meeting: Meeting) -> list[str]:
    """ "Present: …" and, when anyone was away, "Absent: …" (minutes, Word, print)."""
    lines = [_("Present: %(names)s", names=", ".join(p.name for p in meeting.present) or "–")]
    if meeting.absentees:
        lines.append(_("Absent: %(names)s", names=", ".join(p.name for p in meeting.absentees)))
    return lines


def close_meeting(
    acting_user: User | None, meeting: Meeting, now: datetime | None = None
) -> Meeting:
    """End of the meeting: items not reached roll over to the next meeting, and the minutes
    are drafted from the outcomes (unless someone wrote them already). From then on the
    meeting decides nothing more."""
    now = now or utcnow()
    if acting_user is not None and not may_chair(acting_user, meeting.series):
        raise DomainError(_l("Only the chair and the directors of this meeting may close it."))
    if meeting.closed_at is not None:
        raise DomainError(_l("This meeting has already been closed."))
    for item in visible_items(meeting):
        if item.state is ItemState.open:
            item.state = ItemState.rolled_over
    meeting.closed_at = now
    if not meeting.minutes:
        meeting.minutes = draft_minutes(meeting)
    db.session.flush()
    return meeting


def draft_minutes(meeting: Meeting) -> str:
    """The minutes as plain text, from the outcomes, in the organisation's language."""
    with force_locale(get_organisation().default_locale):
        lines = [
            _(
                "Minutes of %(title)s, %(date)s",
                title=meeting.series.title,
                date=format_date(clock.local_date(meeting.starts_at), DAY_PATTERN),
            ),
            "",
            *attendance_lines(meeting),
            "",
            _("Decisions"),
        ]
        decided = [i for i in visible_items(meeting) if i.state is ItemState.decided]
        for number, item in enumerate(decided, 1):
            owner = (item.snapshot or {}).get("owner")
            lines.append(f"{number}. {item.title}" + (f" ({owner})" if owner else ""))
            lines.append(f"   {item.outcome or ''}".rstrip())
        if not decided:
            lines.append(_("No decisions were recorded."))
        left = [i for i in visible_items(meeting) if i.state is not ItemState.decided]
        if left:
            lines += ["", _("Not reached; on the agenda of the next meeting:")]
            lines += [f"- {item.title}" for item in left]
    return "\n".join(lines) + "\n"


def save_minutes(
    acting_user: User | None, meeting: Meeting, *, text: str, expected_version: int | None
) -> Meeting:
    require_manager(acting_user, meeting.series)
    if expected_version is None or meeting.version != expected_version:
        raise MeetingConflict(
            _l(
                "Someone else saved the minutes after you opened them. Their text is shown now; "
                "your text is kept in the form below it. Combine them and save again."
            )
        )
    text = (text or "").strip()
    if not text:
        raise DomainError(_l("The minutes are empty."), "text")
    check_length(text, 50000, "text")
    meeting.minutes = text + "\n"
    try:
        db.session.flush()
    except StaleDataError:
        raise MeetingConflict(
            _l(
                "Someone else saved the minutes after you opened them. Their text is shown now; "
                "your text is kept in the form below it. Combine them and save again."
            )
        ) from None
    return meeting


def publish_minutes(acting_user: User | None, meeting: Meeting, now: datetime | None = None) -> int:
    """Mail the minutes to every attendee (through the outbox)."""
    now = now or utcnow()
    require_manager(acting_user, meeting.series)
    if not meeting.minutes:
        raise DomainError(_l("Write the minutes first (close the meeting to draft them)."))
    meeting.minutes_published_at = now
    db.session.flush()
    return mail_attendees(
        meeting,
        now,
        kind="meeting_minutes",
        key=f"meeting-minutes:{meeting.id}:{meeting.version}",
        subject=lambda when: _(
            "Minutes: %(title)s, %(date)s", title=meeting.series.title, date=when
        ),
    )
