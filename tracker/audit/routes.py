"""The audit trail for administrators: search, filter, export as CSV. No way to change it."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from tracker import clock
from tracker.audit import queries
from tracker.audit.forms import AuditFilterForm
from tracker.audit.labels import action_label, actor_label, details_text, subject_label
from tracker.auth.models import Role
from tracker.auth.permissions import role_required
from tracker.rendering import list_args
from tracker.spreadsheets import csv_text

bp = Blueprint("audit", __name__)


def _filter_form() -> tuple[AuditFilterForm, queries.AuditFilter]:
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = [("", _("Everything"))] + [
        (a, action_label(a)) for a in queries.actions()
    ]
    form.subject_type.choices = [("", _("Every kind"))] + [
        (t, subject_label(t)) for t in queries.subject_types()
    ]
    if request.args and not form.validate():
        return form, queries.AuditFilter()
    return form, queries.AuditFilter(
        action=form.action.data or None,
        actor=(form.actor.data or "").strip() or None,
        subject_type=form.subject_type.data or None,
        subject_id=form.subject_id.data,
        since=form.since.data,
        until=form.until.data,
        text=(form.text.data or "").strip() or None,
    )


@bp.route("/admin/audit")
@role_required(Role.admin)
def audit_trail():
    form, audit_filter = _filter_form()
    pagination = queries.page(audit_filter, request.args.get("page", 1, type=int))
    return render_template(
        "audit/trail.html",
        form=form,
        pagination=pagination,
        args=list_args(),
        action_label=action_label,
        actor_label=actor_label,
        subject_label=subject_label,
        details_text=details_text,
    )


@bp.route("/admin/audit/export.csv")
@role_required(Role.admin)
def audit_export():
    _form, audit_filter = _filter_form()
    zone = clock.zone()
    rows = (
        [
            event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            event.at.isoformat(),
            event.actor_label,
            event.action,
            event.subject_type or "",
            event.subject_id or "",
            event.origin,
            json.dumps(event.details, ensure_ascii=False, sort_keys=True),
        ]
        for event in queries.for_export(audit_filter)
    )
    body = csv_text(
        [
            _("When (local time)"),
            _("When (UTC)"),
            _("Who"),
            _("What happened"),
            _("Kind of subject"),
            _("Subject number"),
            _("From where"),
            _("Details"),
        ],
        rows,
    )
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{date.today().isoformat()}.csv"'
        },
    )
