"""Who may do what. Routes call these before calling a service."""
from __future__ import annotations

import logging
from functools import wraps

from flask import abort, request
from flask_login import current_user

from tracker.auth.models import Role, User
from tracker.extensions import login_manager

security_log = logging.getLogger("tracker.security")


def refuse(reason: str = "") -> None:
    """Log the refusal and answer 403."""
    security_log.warning(
        "permission refused user_id=%s path=%s %s",
        getattr(current_user, "id", None), request.path, reason,
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
