"""Authority to decide on an action beyond its department's own director.

The staff meeting of the services directorate decides on every item of its agenda, also on
the actions of departments its chair does not direct. That is not a flag a form could set:
the meeting's decision service (`meetings/decisions.py`) holds an object of a subclass of
`MeetingAuthority` and hands it to the actions' services, which ask it, for each change,
whether it covers this person and this action now (on the meeting's agenda, the meeting
still open, the person its chair or one of its directors), and note the meeting on every
line of the history it leaves. What a meeting decides is the deadline, the owner, the
status and deadline requests; the rest of an action stays with its department.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.actions.models import ImprovementAction
    from tracker.auth.models import User


class MeetingAuthority(abc.ABC):
    """The authority of one staff meeting over the actions on its agenda."""

    #: The fields `update_action` may change on a meeting's authority (besides the status
    #: and deadline requests, which have their own services).
    FIELDS = frozenset({"deadline", "owner"})

    #: The meeting (stored on each history line).
    meeting_id: int
    #: Noted on each history line, e.g. "decided in staff meeting of 12 Jan 2027".
    note: str

    @abc.abstractmethod
    def refusal(self, user: User, action: ImprovementAction) -> str | None:
        """None when `user` may decide on `action` on the strength of this meeting now;
        otherwise why not, in words for the user."""
