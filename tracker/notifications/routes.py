"""The outbox for admins (/admin/outbox) and the one-click links in e-mail (/u/<token>)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from itsdangerous import BadSignature
from sqlalchemy import func, select

from tracker.auth import invitations
from tracker.auth.models import Role
from tracker.auth.permissions import role_required
from tracker.extensions import db
from tracker.forms import saving
from tracker.notifications import services
from tracker.notifications.models import OutboxMessage, OutboxStatus
from tracker.notifications.rendering import LinkExpired, read_signed_link
from tracker.rendering import provide_page_context

bp = Blueprint("notifications", __name__)
security_log = logging.getLogger("tracker.security")


@bp.record_once
def _for_auth(state) -> None:
    """Auth sits below this area and does not import it: its invitations and password
    links are mailed through the outbox, and its page for choosing a password speaks the
    person's language."""
    invitations.provide_mail(state.app, services.mail_person, services.sender_organisation)
    provide_page_context(
        state.app,
        "auth.set_password",
        lambda *, person: {"locale": services.recipient_locale(person)},
    )


STATUS_LABELS = {
    OutboxStatus.pending: _l("Waiting"),
    OutboxStatus.sending: _l("Sending"),
    OutboxStatus.sent: _l("Sent"),
    OutboxStatus.failed: _l("Failed"),
    OutboxStatus.held: _l("Kept, not sent"),
}
STATUS_BADGES = {
    OutboxStatus.pending: "text-bg-info",
    OutboxStatus.sending: "text-bg-primary",
    OutboxStatus.sent: "text-bg-success",
    OutboxStatus.failed: "text-bg-danger",
    OutboxStatus.held: "text-bg-secondary",
}
KIND_LABELS = {
    "reminder": _l("Reminder"),
    "owner-digest": _l("Weekly overview"),
    "escalation": _l("Escalation"),
    "director-digest": _l("Director's digest"),
    "follow_closed": _l("Followed action closed"),
    "follow_digest": _l("Monthly news for followers"),
    "invitation": _l("Invitation"),
    "password-reset": _l("New password"),
    "reset": _l("New password"),
    "meeting_agenda": _l("Meeting agenda"),
    "meeting_changed": _l("Meeting moved or cancelled"),
    "meeting_minutes": _l("Meeting minutes"),
}
#: The tracker's own error texts, shown translated; SMTP servers' replies are shown as sent.
ERROR_LABELS = {
    services.INTERRUPTED: _l(
        "Interrupted while being handed to the mail server. It may have been delivered, so it "
        "is not sent again automatically; send it again if the recipient did not get it."
    ),
    services.NO_MAIL_SERVER: _l(
        "No mail server is configured (MAIL_SERVER), so the message is kept here."
    ),
}

PER_PAGE = 50


@bp.app_template_filter("outbox_error")
def outbox_error(text: str | None) -> str:
    if not text:
        return ""
    if text.startswith(services.GAVE_UP):
        return _(
            "Gave up after too many temporary failures. Last error: %(error)s",
            error=text[len(services.GAVE_UP) + 2 :],
        )
    return str(ERROR_LABELS.get(text, text))


def _context() -> dict:
    return {
        "STATUS_LABELS": STATUS_LABELS,
        "STATUS_BADGES": STATUS_BADGES,
        "KIND_LABELS": KIND_LABELS,
        "OutboxStatus": OutboxStatus,
        "mail_configured": services.mail_configured(),
    }


@bp.route("/admin/outbox")
@role_required(Role.admin)
def outbox():
    status = request.args.get("status")
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status in OutboxStatus.__members__:
        query = query.where(OutboxMessage.status == OutboxStatus[status])
    else:
        status = None
    pagination = db.paginate(
        query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False
    )
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(
                OutboxMessage.status
            )
        ).all()
    )
    return render_template(
        "notifications/outbox.html",
        pagination=pagination,
        status=status,
        counts=counts,
        **_context(),
    )


@bp.route("/admin/outbox/<int:message_id>")
@role_required(Role.admin)
def outbox_message(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template("notifications/message.html", message=message, **_context())


@bp.route("/admin/outbox/<int:message_id>/retry", methods=["POST"])
@role_required(Role.admin)
def retry_message(message_id: int):
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    with saving() as outcome:
        services.retry(message)
    if outcome.ok:
        flash(_("The message will be sent again within a minute."), "success")
    return redirect(url_for("notifications.outbox_message", message_id=message.id))


@bp.route("/u/<link>")
@login_required
def signed_link(link: str):
    """A one-click link from an e-mail: signed and expiring, and only after log-in. It leads
    to the page it names; that page decides, as always, what this user may see or do."""
    try:
        path, user_id = read_signed_link(link)
    except LinkExpired:
        return render_template("notifications/link_expired.html"), 410
    except BadSignature:
        abort(404)
    if user_id != current_user.id:
        security_log.info("signed link for user %s opened by user %s", user_id, current_user.id)
    return redirect(request.script_root + path)
