"""Imports every area's models so the metadata is complete (for Alembic and create_all)."""

from tracker.auth.models import (  # noqa: F401
    DepartmentMembership,
    GroupMapping,
    LoginAttempt,
    MembershipRole,
    Role,
    User,
    UserIdentity,
)
from tracker.organisation.models import Department, Directorate, Organisation  # noqa: F401
from tracker.surveys.models import (  # noqa: F401
    Finding,
    Question,
    RoundParticipation,
    SurveyComment,
    SurveyImport,
    SurveyRound,
    Theme,
)
from tracker.actions.models import (  # noqa: F401
    ActionChange,
    ActionTemplate,
    DeadlineRequest,
    DeclineTemplate,
    ImprovementAction,
    ProgressUpdate,
)
from tracker.cocreation.models import Follow, Reaction  # noqa: F401
from tracker.notifications.models import OutboxMessage  # noqa: F401
from tracker.scheduler.models import JobRun, SchedulerLease  # noqa: F401
from tracker.operations.models import DataVersion  # noqa: F401
from tracker.audit.models import AuditEvent  # noqa: F401
from tracker.public.models import NewsFeed  # noqa: F401
from tracker.meetings.models import (  # noqa: F401
    AgendaItem,
    CalendarFeed,
    Meeting,
    MeetingSeries,
)
from tracker.provisioning.models import (  # noqa: F401
    ScimGroup,
    ScimGroupMember,
    ScimToken,
    ScimUser,
)
