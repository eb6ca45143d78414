"""Pages for provisioning people, on the auth blueprint: the administrator's HR file import
(upload, preview, confirm) and invitations; and, for everyone, asking for a password reset and
choosing a password with a mailed link."""

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

from tracker import uploads
from tracker.auth import invitations
from tracker.auth.forms import (
    ConfirmForm,
    ConfirmPeopleImportForm,
    PeopleImportForm,
    ResetRequestForm,
    SetPasswordForm,
)
from tracker.auth.models import Role, User
from tracker.auth.permissions import role_required
from tracker.auth.routes import _limits, bp, safe_next
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.forms import saving
from tracker.notifications.services import recipient_locale
from tracker.provisioning import hr_file, hr_import

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
    return recipient_locale(user) if user is not None else None


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


# --- Administrator: the HR file import ----------------------------------------------------


@bp.route("/admin/users/import", methods=["GET", "POST"])
@role_required(Role.admin)
def import_users():
    form = PeopleImportForm()
    if form.validate_on_submit():
        file = form.file.data
        data = file.read(hr_file.MAX_FILE_BYTES + 1)
        problem = None
        if len(data) > hr_file.MAX_FILE_BYTES:
            problem = _(
                "The file is larger than %(size)d MB. Is it the right file?",
                size=hr_file.MAX_FILE_BYTES // 2**20,
            )
        else:
            try:
                hr_file.parse_people(data)
            except hr_file.PeopleFileError as error:
                problem = error.message
        if problem is None:
            token = uploads.store(
                current_app.instance_path, file.filename or "upload", current_user.id, data
            )
            return redirect(
                url_for(
                    "auth.import_users_preview",
                    token=token,
                    deactivate_missing="1" if form.deactivate_missing.data else None,
                )
            )
        form.file.errors.append(problem)
    return render_template("auth/import_users.html", form=form)


@bp.route("/admin/users/import/<token>", methods=["GET", "POST"])
@role_required(Role.admin)
def import_users_preview(token: str):
    pending = uploads.load(current_app.instance_path, token, current_user.id)
    if pending is None:
        flash(_("This upload is no longer available. Upload the file again."), "warning")
        return redirect(url_for("auth.import_users"))
    form = ConfirmPeopleImportForm()
    source = request.form if request.method == "POST" else request.args
    deactivate_missing = source.get("deactivate_missing") == "1"
    form.deactivate_missing.data = "1" if deactivate_missing else ""
    report, problem = None, None
    try:
        parsed = hr_file.parse_people(pending.data)
    except hr_file.PeopleFileError as error:
        parsed, problem = None, error.message
    if parsed is not None and form.validate_on_submit():
        with saving(form) as outcome:
            report = hr_import.import_people(
                current_user, parsed, deactivate_missing=deactivate_missing, dry_run=False
            )
        if outcome.ok:
            uploads.discard(current_app.instance_path, token)
            flash(
                _(
                    "%(file)s is imported. Created: %(created)d · changed: %(changed)d · "
                    "unchanged: %(unchanged)d · refused rows: %(refused)d · deactivated: "
                    "%(deactivated)d.",
                    file=pending.file_name,
                    created=len(report.created),
                    changed=len(report.changed),
                    unchanged=report.unchanged,
                    refused=len(report.refused),
                    deactivated=len(report.deactivated),
                ),
                "success",
            )
            return redirect(url_for("auth.users"))
    if parsed is not None:
        try:
            # The preview: the same report, nothing written.
            report = hr_import.import_people(
                current_user, parsed, deactivate_missing=deactivate_missing, dry_run=True
            )
        except DomainError as error:
            report, problem = None, error.message
        db.session.rollback()
    return render_template(
        "auth/import_preview.html",
        form=form,
        pending=pending,
        parsed=parsed,
        report=report,
        problem=problem,
        deactivate_missing=deactivate_missing,
    )
