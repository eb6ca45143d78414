"""Imports every area's models so the metadata is complete (for Alembic and create_all)."""
from tracker.auth.models import LoginAttempt, Role, User  # noqa: F401
from tracker.organisation.models import (  # noqa: F401
    Department,
    DepartmentMembership,
    Directorate,
    MembershipRole,
    Organisation,
)
from tracker.surveys.models import (  # noqa: F401
    Finding,
    Question,
    RoundParticipation,
    SurveyComment,
    SurveyImport,
    SurveyRound,
    Theme,
)
