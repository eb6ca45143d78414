"""The audit trail in words: what happened, to what, which fields, which values.

The trail stores codes ("user.created", "anonymity_threshold", "director"), so an export stays
stable; the page names them. A field is called what the form that edits it calls it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.core import UnboundField

from tracker.actions.forms import STATUS_LABELS, VISIBILITY_LABELS, ActionForm
from tracker.auth.forms import GroupMappingForm, UserForm
from tracker.auth.models import ROLE_LABELS, Role
from tracker.meetings.forms import STATE_LABELS
from tracker.organisation.forms import DepartmentForm, SettingsForm
from tracker.provisioning.forms import TokenForm

SUBJECT_LABELS = {
    "user": _l("Person"),
    "department": _l("Department"),
    "settings": _l("Settings"),
    "group_mapping": _l("Group mapping"),
    "scim_token": _l("SCIM token"),
    "survey_import": _l("Survey import"),
    "action": _l("Action"),
    "finding": _l("Survey point"),
    "agenda_item": _l("Agenda item"),
    "reaction": _l("Reaction"),
    "comment": _l("Survey comment"),
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
    "file_name": _l("File"),
    "round_id": _l("Survey round"),
    "outcome": _l("Outcome"),
    "status": _l("Status"),
    "triage": _l("Decision"),
    "state": _l("Agenda item"),
    "comment_status": _l("Comment"),
    "approved": _l("Shown as a quote"),
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
    **_form_labels(ActionForm),
    **_EXTRA_FIELDS,
}
#: The words for a field's stored values (enum values), per field: the same value can mean
#: different things in different fields.
FIELD_VALUE_LABELS = {
    "status": {status.value: label for status, label in STATUS_LABELS.items()},
    "visibility": {visibility.value: label for visibility, label in VISIBILITY_LABELS.items()},
    "state": {state.value: label for state, label in STATE_LABELS.items()},
    "triage": {
        "untriaged": _l("not decided yet"),
        "act": _l("act on it"),
        "no_action": _l("no action"),
        "strength": _l("strength"),
    },
    "comment_status": {
        "none": _l("no comment"),
        "pending": _l("waiting for approval"),
        "approved": _l("approved"),
        "rejected": _l("rejected"),
    },
    "outcome": {"imported": _l("imported"), "failed": _l("failed")},
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


def _value(value, field: str | None = None) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str) and value in FIELD_VALUE_LABELS.get(field, {}):
        return str(FIELD_VALUE_LABELS[field][value])
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list) and len(value) == 2:
        return f"{_value(value[0], field)} → {_value(value[1], field)}"
    if isinstance(value, str):
        if value in Role.__members__:
            return str(ROLE_LABELS[Role[value]]).lower()
        if value in VALUE_LABELS:
            return str(VALUE_LABELS[value])
    return str(value)


def details_text(details: dict) -> str:
    """'Anonymity threshold: 5 → 8; Role: action owner → director'."""
    return "; ".join(
        f"{FIELD_LABELS.get(key, key)}: {_value(value, key)}"
        for key, value in sorted(details.items())
    )
