"""The administrator's pages for accounts from outside: the SCIM tokens (which provisioning
clients may connect) and the HR file import (upload, preview, confirm)."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from tracker import uploads
from tracker.auth.forms import ConfirmForm
from tracker.auth.models import Role
from tracker.auth.permissions import role_required
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.forms import saving
from tracker.provisioning import hr_file, hr_import, queries, tokens
from tracker.provisioning.forms import ConfirmPeopleImportForm, PeopleImportForm, TokenForm
from tracker.provisioning.models import ScimToken
from tracker.rendering import absolute_url

bp = Blueprint("provisioning", __name__)


def _page(form: TokenForm, new_token: str | None = None):
    return render_template(
        "provisioning/tokens.html",
        form=form,
        tokens=queries.tokens(),
        new_token=new_token,
        # The address the provider is given: on BASE_URL, like the OIDC redirect URI.
        scim_url=absolute_url("scim.root").rstrip("/"),
    )


@bp.route("/admin/scim-tokens", methods=["GET", "POST"])
@role_required(Role.admin)
def scim_tokens():
    form = TokenForm()
    if form.validate_on_submit():
        with saving(form) as outcome:
            _token, secret = tokens.create_token(current_user._get_current_object(), form.name.data)
        if outcome.ok:
            # Shown in this answer only (never flashed: the session cookie is readable).
            return _page(TokenForm(formdata=None), new_token=secret)
    return _page(form)


@bp.route("/admin/scim-tokens/<int:token_id>/revoke", methods=["POST"])
@role_required(Role.admin)
def revoke_scim_token(token_id: int):
    token = db.session.get(ScimToken, token_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        with saving() as outcome:
            tokens.revoke_token(current_user, token)
        if outcome.ok:
            flash(_("Token %(name)s is revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("provisioning.scim_tokens"))


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
                    "provisioning.import_users_preview",
                    token=token,
                    deactivate_missing="1" if form.deactivate_missing.data else None,
                )
            )
        form.file.errors.append(problem)
    return render_template("provisioning/import_users.html", form=form)


@bp.route("/admin/users/import/<token>", methods=["GET", "POST"])
@role_required(Role.admin)
def import_users_preview(token: str):
    pending = uploads.load(current_app.instance_path, token, current_user.id)
    if pending is None:
        flash(_("This upload is no longer available. Upload the file again."), "warning")
        return redirect(url_for("provisioning.import_users"))
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
        "provisioning/import_preview.html",
        form=form,
        pending=pending,
        parsed=parsed,
        report=report,
        problem=problem,
        deactivate_missing=deactivate_missing,
    )
