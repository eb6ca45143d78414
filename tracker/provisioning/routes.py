"""The administrator's page of SCIM tokens: which provisioning clients may connect."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.forms import ConfirmForm
from tracker.auth.models import Role
from tracker.auth.permissions import role_required
from tracker.extensions import db
from tracker.forms import saving
from tracker.notifications.rendering import absolute_url
from tracker.provisioning import queries, tokens
from tracker.provisioning.forms import TokenForm
from tracker.provisioning.models import ScimToken

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
