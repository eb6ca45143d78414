"""The audit trail in words: what happened, to what, which fields, which values.

The trail stores codes ("user.created", "anonymity_threshold", "director"), so an export stays
stable; the page names them. A field is called what the form that edits it calls it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.core import UnboundField

from tracker.auth.forms import GroupMappingForm, UserForm
from tracker.auth.models import Role
from tracker.formatting import ROLE_LABELS
from tracker.organisation.forms import DepartmentForm, SettingsForm
from tracker.provisioning.forms import TokenForm

SUBJECT_LABELS = {
    "user": _l("Person"),
    "department": _l("Department"),
    "settings": _l("Settings"),
    "group_mapping": _l("Group mapping"),
    "scim_token": _l("SCIM token"),
}
_VERBS = {
    "created": _l("created"),
    "changed": _l("changed"),
    "deleted": _l("deleted"),
}
ACTION_LABELS = {
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account activated again"),
    "membership.added": _l("Added to a department"),
    "membership.removed": _l("Removed from a department"),
    "role.changed": _l("Role changed"),
    "signin.succeeded": _l("Signed in"),
    "signin.failed": _l("Sign-in failed"),
}
VALUE_LABELS = {
    "password": _l("password"),
    "oidc": _l("identity provider"),
    "throttled": _l("too many attempts"),
    "staff": _l("staff member"),
    "changed": _l("changed"),
}
_EXTRA_FIELDS = {
    "password": _l("Password"),
    "method": _l("How"),
    "reason": _l("Why"),
    "membership": _l("As"),
    "successor_id": _l("Continues in"),
    "timezone": _l("Time zone"),
    "revoked_at": _l("Revoked"),
    "email": _l("E-mail address"),
}


def _form_labels(*forms) -> dict:
    labels = {}
    for form in forms:
        for name, field in vars(form).items():
            if isinstance(field, UnboundField) and field.args:
                labels.setdefault(name, field.args[0])
    return labels


FIELD_LABELS = {
    **_form_labels(SettingsForm, DepartmentForm, UserForm, GroupMappingForm, TokenForm),
    **_EXTRA_FIELDS,
}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    kind, _dot, verb = action.partition(".")
    if kind in SUBJECT_LABELS and verb in _VERBS:
        return f"{SUBJECT_LABELS[kind]} {_VERBS[verb]}"
    return action


def subject_label(kind: str | None) -> str:
    return str(SUBJECT_LABELS.get(kind, kind or ""))


def actor_label(label: str) -> str:
    """The stored actor: 'user 3', a client's name, 'cli' or 'anonymous'."""
    if label == "cli":
        return _("command line")
    if label == "anonymous":
        return _("not signed in")
    if label.startswith("user ") and label[5:].isdigit():
        return _("person %(number)s", number=label[5:])
    return label


def _value(value) -> str:
    if value is None or value == "":
        return "–"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list) and len(value) == 2:
        return f"{_value(value[0])} → {_value(value[1])}"
    if isinstance(value, str):
        if value in Role.__members__:
            return str(ROLE_LABELS[Role[value]]).lower()
        if value in VALUE_LABELS:
            return str(VALUE_LABELS[value])
    return str(value)


def details_text(details: dict) -> str:
    """'Anonymity threshold: 5 → 8; Role: action owner → director'."""
    return "; ".join(
        f"{FIELD_LABELS.get(key, key)}: {_value(value)}" for key, value in sorted(details.items())
    )
