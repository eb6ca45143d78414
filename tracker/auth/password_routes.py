"""Password links, on the auth blueprint: the administrator's invitation and, for everyone,
asking for a password reset and choosing a password with a mailed link. (The HR file import
of people is provisioning's: `provisioning/routes.py`.)"""

from __future__ import annotations

import logging

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user

from tracker.auth import invitations
from tracker.auth.forms import ConfirmForm, ResetRequestForm, SetPasswordForm
from tracker.auth.models import Role, User
from tracker.auth.permissions import role_required
from tracker.auth.routes import _limits, bp, safe_next
from tracker.extensions import db
from tracker.forms import saving
from tracker.rendering import page_context

log = logging.getLogger("tracker.security")

# --- Password reset and links -------------------------------------------------------------


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        with saving(form) as outcome:
            email = invitations.record_reset_request(
                form.email.data, request.remote_addr or "-", _limits()
            )
        if outcome.ok:
            # The same answer, after the same work, whether or not the address is known.
            flash(str(invitations.RESET_SENT), "info")
            response = redirect(url_for("auth.login"))
            app = current_app._get_current_object()
            response.call_on_close(lambda: _send_reset_link(app, email))
            return response
    return render_template("auth/reset_password.html", form=form)


def _send_reset_link(app, email: str) -> None:
    """Run once the answer has gone out (the WSGI server closes the response after sending
    it), so whether the address is known cannot show in the response time. Its own app
    context and unit of work, like a scheduler job."""
    with app.app_context():
        try:
            invitations.send_reset_link(email)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("password reset mail could not be queued")


def _page_locale(user: User | None) -> str | None:
    """The language of a link's page: the one chosen in this browser, else its person's."""
    if session.get("lang") in current_app.config["LANGUAGES"]:
        return session["lang"]
    # The person's own language, else the organisation's: notifications knows (auth is below
    # it), and provides it for this page.
    return page_context("auth.set_password", person=user).get("locale") if user else None


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    found = invitations.find_link(token)
    locale = _page_locale(found.user)
    if locale is None:
        return _set_password_page(token, found)
    with force_locale(locale):
        return _set_password_page(token, found)


def _set_password_page(token: str, found: invitations.PasswordLink):
    form = SetPasswordForm()
    if found.state is invitations.LinkState.valid and form.validate_on_submit():
        with saving(form) as outcome:
            user = invitations.set_password(
                token, form.new_password.data, current_app.config["PASSWORD_HASH_METHOD"]
            )
        if outcome.ok:
            login_user(user)
            flash(_("Your password is saved and you are logged in."), "success")
            return redirect(url_for("dashboard.home"))
        found = invitations.find_link(token)
    response = make_response(
        render_template(
            "auth/set_password.html", form=form, found=found, LinkState=invitations.LinkState
        )
    )
    # The page belongs to a secret link: no browser or proxy keeps it.
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Administrator: invitations -----------------------------------------------------------


@bp.route("/admin/users/<int:user_id>/invite", methods=["POST"])
@role_required(Role.admin)
def invite_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        with saving() as outcome:
            invitations.invite(current_user, user)
        if outcome.ok:
            flash(
                _(
                    "An invitation is on its way to %(email)s. The link in it works for 72 hours.",
                    email=user.email,
                ),
                "success",
            )
    return redirect(safe_next(request.form.get("next")) or url_for("auth.users"))
