"""Who may do what. Routes call these before calling a service."""

from __future__ import annotations

import logging
from functools import wraps

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.auth.models import Role, User
from tracker.errors import DomainError
from tracker.extensions import login_manager

security_log = logging.getLogger("tracker.security")


def refuse(reason: str = "") -> None:
    """Log the refusal and answer 403."""
    security_log.warning(
        "permission refused user_id=%s path=%s %s",
        getattr(current_user, "id", None),
        request.path,
        reason,
    )
    abort(403)


def role_required(role: Role):
    """The signed-in user must have at least this role."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                refuse(f"needs={role.value}")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def may_manage_department(user: User, department_id: int) -> bool:
    return user.is_admin or department_id in user.directed_department_ids


def require_admin(acting_user: User | None) -> None:
    """For services: only an administrator may do this. None is the command line (create-admin,
    demo), which may."""
    if acting_user is not None and not acting_user.is_admin:
        raise DomainError(_l("Only an administrator may do this."))
