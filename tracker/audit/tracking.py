"""What the audit trail records by itself: every change of people (accounts, roles, activity,
e-mail, passwords), memberships of departments, departments, the organisation's settings,
group mappings and SCIM tokens; survey imports (and their deletion), triage decisions,
an action's status, owner, deadline and visibility, meeting decisions on agenda items and
the moderation of reactions and comments — whichever way it was made — the admin's forms, a file import, SCIM, the
identity provider's groups, the command line. Read from the session right after each flush
(ids known, the attributes' history still there), so no path that writes these rows can
forget to record it; the records go in with the same commit.

Sign-ins are events, not row changes: auth sends them (`auth.events.sign_in`) where they
happen, and `record_sign_in` records them.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

from tracker.audit.services import record

#: Per tracked model: its kind in the trail and the columns whose changes are recorded.
#: (`session_token`, `last_login_at` and `previous_login_at` change at every sign-in: not a change of the account.)
TRACKED = {
    "User": ("user", ("email", "name", "role", "active", "locale", "password_hash")),
    "Department": (
        "department",
        ("name", "short_name", "active", "directorate_id", "publish_owner_names", "successor_id"),
    ),
    "Organisation": ("settings", None),  # every column
    "GroupMapping": ("group_mapping", ("group_name", "role", "department_id")),
    # Its hash never: only that it was made (and by whom) or revoked.
    "ScimToken": ("scim_token", ("name", "revoked_at")),
    "SurveyImport": ("survey_import", ("file_name", "round_id", "outcome")),
    "ImprovementAction": ("action", ("status", "owner_id", "deadline", "visibility")),
    # Made by the hundred with each import, or by each reaction: only their decisions count.
    "Finding": ("finding", ("triage",)),
    "AgendaItem": ("agenda_item", ("state", "outcome")),
    "Reaction": ("reaction", ("comment_status",)),
    "SurveyComment": ("comment", ("approved",)),
}
#: Kinds whose creation and deletion are not recorded, only the changes of their columns.
CHANGES_ONLY = {"finding", "agenda_item", "reaction", "comment"}
SECRET_COLUMNS = {"password_hash"}


def _acting_user():
    """The signed-in user of this request (as Flask-Login loaded it), else None."""
    if not has_request_context():
        return None
    user = g.get("_login_user")
    return user if getattr(user, "is_authenticated", False) else None


def _value(value):
    return getattr(value, "value", value) if value is not None else None


def _changes(obj, columns) -> dict:
    state = inspect(obj)
    changed = {}
    for attribute in state.mapper.column_attrs:
        name = attribute.key
        if columns is not None and name not in columns:
            continue
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        if name in SECRET_COLUMNS:
            changed["password"] = "changed"
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if _value(old) != _value(new):
            changed[name] = [_value(old), _value(new)]
    return changed


def _after_flush(session: Session, _context) -> None:
    if session.info.get("auditing"):
        return
    actor = _acting_user()
    session.info["auditing"] = True
    try:
        for obj in list(session.new):
            name = type(obj).__name__
            if name in TRACKED and TRACKED[name][0] not in CHANGES_ONLY:
                kind, columns = TRACKED[name]
                details = {k: v[1] for k, v in _changes(obj, columns).items() if k != "password"}
                record(actor, f"{kind}.created", kind, obj.id, **details)
            elif name == "DepartmentMembership":
                record(
                    actor,
                    "membership.added",
                    "user",
                    obj.user_id,
                    department_id=obj.department_id,
                    membership=_value(obj.role),
                )
        for obj in list(session.dirty):
            name = type(obj).__name__
            if name in TRACKED and session.is_modified(obj):
                kind, columns = TRACKED[name]
                changed = _changes(obj, columns)
                if changed:
                    action = f"{kind}.changed"
                    if kind == "user" and set(changed) == {"active"}:
                        action = (
                            "user.deactivated" if not changed["active"][1] else "user.reactivated"
                        )
                    record(actor, action, kind, obj.id, **changed)
        # Deletions, orphans included, as the flush made them (see _deleted).
        for name, obj_id, user_id, department_id, role in session.info.pop("audit_deleted", []):
            if name == "DepartmentMembership":
                record(
                    actor,
                    "membership.removed",
                    "user",
                    user_id,
                    department_id=department_id,
                    membership=role,
                )
            else:
                kind, _columns = TRACKED[name]
                record(actor, f"{kind}.deleted", kind, obj_id)
    finally:
        session.info["auditing"] = False


def _deleted(_mapper, _connection, target) -> None:
    name = type(target).__name__
    if name != "DepartmentMembership" and (name not in TRACKED or TRACKED[name][0] in CHANGES_ONLY):
        return
    session = object_session(target)
    if session is not None:
        session.info.setdefault("audit_deleted", []).append(
            (
                name,
                getattr(target, "id", None),
                getattr(target, "user_id", None),
                getattr(target, "department_id", None),
                _value(getattr(target, "role", None)),
            )
        )


def record_sign_in(
    user, *, method: str, succeeded: bool, email: str | None = None, reason: str | None = None
) -> None:
    """A sign-in (password or the identity provider), successful or not."""
    details = {"method": method}
    if reason:
        details["reason"] = reason
    if not succeeded and user is None and email:
        details["email"] = email
    record(
        user if succeeded else None,
        "signin.succeeded" if succeeded else "signin.failed",
        "user" if user is not None else None,
        user.id if user is not None else None,
        **details,
    )


def init_app(_app) -> None:
    from tracker.auth import events
    from tracker.extensions import db

    # Connected once per process (blinker keeps one connection per receiver).
    events.sign_in.connect(record_sign_in)

    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
    if not event.contains(db.Model, "after_delete", _deleted):
        event.listen(db.Model, "after_delete", _deleted, propagate=True)
