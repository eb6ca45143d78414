"""Log-in (password and OpenID Connect), log-out, own account, language, and the
administrator's user and group-mapping pages."""

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.auth import events, group_mappings, identities, invitations, oidc, queries, services
from tracker.auth.forms import (
    AccountForm,
    ConfirmForm,
    GroupMappingForm,
    LanguageForm,
    LoginForm,
    PasswordForm,
    UserForm,
)
from tracker.auth.identities import SignInRefused
from tracker.auth.models import ROLE_LABELS, GroupMapping, MembershipRole, Role, User
from tracker.auth.permissions import role_required
from tracker.errors import DomainError
from tracker.extensions import csrf, db
from tracker.forms import saving
from tracker.rendering import absolute_url, page_context

bp = Blueprint("auth", __name__)


@bp.app_template_filter("role_label")
def role_label(role: Role) -> str:
    return ROLE_LABELS[role]


@bp.app_context_processor
def layout_context() -> dict:
    """What the layout of every page needs from this area: the language switch and Role."""
    return {"language_form": LanguageForm(formdata=None, language=str(get_locale())), "Role": Role}


security_log = logging.getLogger("tracker.security")
PER_PAGE = 50


def safe_next(target: str | None) -> str | None:
    """Only a path inside this application; anything else (other hosts, schemes) is dropped."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _limits() -> services.LoginLimits:
    config = current_app.config
    return services.LoginLimits(
        config["LOGIN_WINDOW_MINUTES"],
        config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        config["LOGIN_MAX_FAILURES_PER_IP"],
    )


def _complete_login(user: User, remember: bool, next_url: str | None):
    """The same end for every way of logging in: the session, the user's own language."""
    login_user(user, remember=remember)
    session.pop("lang", None)
    return redirect(next_url or url_for("dashboard.home"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("dashboard.home"))
    sso = oidc.settings()
    # OIDC_ONLY: the password form is the administrators' way in when the provider fails.
    admins_only = bool(sso and sso.only)
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.email.data,
                form.password.data,
                request.remote_addr or "-",
                _limits(),
                admins_only=admins_only,
            )
        except DomainError as error:
            db.session.commit()  # the failed attempt counts towards the limit
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            return _complete_login(user, form.remember.data, next_url)
    show_password_form = (
        not admins_only or request.args.get("local") == "1" or request.method == "POST"
    )
    return render_template(
        "auth/login.html",
        form=form,
        sso=sso,
        show_password_form=show_password_form,
        admins_only=admins_only,
        next_url=next_url,
    )


def _sign_in_refused(error: SignInRefused):
    db.session.rollback()
    security_log.warning(
        "oidc sign-in refused ip=%s reason=%s", request.remote_addr or "-", error.reason
    )
    events.sign_in.send(None, method="oidc", succeeded=False, reason=error.reason)
    db.session.commit()
    sso = oidc.settings()
    return render_template(
        "auth/oidc_error.html",
        message=error.message,
        password_login=not (sso and sso.only),
    ), error.status


@bp.route("/login/oidc")
def oidc_login():
    sso = oidc.settings() or abort(404)
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("dashboard.home"))
    session["oidc_next"] = next_url
    try:
        return oidc.redirect_to_provider(sso, absolute_url("auth.oidc_callback"))
    except SignInRefused as error:
        return _sign_in_refused(error)


@bp.route("/login/oidc/callback")
def oidc_callback():
    sso = oidc.settings() or abort(404)
    try:
        claims = oidc.claims_from_callback(sso)
        user = identities.sign_in_with_claims(
            claims, sso.issuer, groups_claim=sso.groups_claim, trust_email=sso.trust_email
        )
    except SignInRefused as error:
        return _sign_in_refused(error)
    events.sign_in.send(user, method="oidc", succeeded=True)
    db.session.commit()
    security_log.info("login user_id=%s ip=%s via=oidc", user.id, request.remote_addr or "-")
    return _complete_login(user, False, safe_next(session.pop("oidc_next", None)))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        services.end_sessions(current_user)
        db.session.commit()
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
@csrf.exempt
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            services.set_locale(current_user, form.language.data)
            db.session.commit()
        session["lang"] = form.language.data
    return redirect(safe_next(request.form.get("next")) or url_for("dashboard.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user)
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    password_form = PasswordForm(prefix="pw")
    if form.submit.data and form.validate_on_submit():
        current_user.name = form.name.data.strip()
        services.set_locale(current_user, form.locale.data)
        current_user.digest_opt_out = bool(form.digest_opt_out.data)
        db.session.commit()
        flash(_("Your account is saved."), "success")
        return redirect(url_for("auth.account"))
    if password_form.submit.data and password_form.validate_on_submit():
        with saving(password_form) as outcome:
            services.change_own_password(
                current_user,
                password_form.current_password.data,
                password_form.new_password.data,
                current_app.config["PASSWORD_HASH_METHOD"],
            )
        if outcome.ok:
            # The token rotated: sign in again in this browser, other sessions end.
            login_user(current_user._get_current_object())
            flash(_("Your password is changed. Other sessions have been logged out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, password_form=password_form)


# --- Administrator: users -------------------------------------------------------------


@bp.route("/admin/users")
@role_required(Role.admin)
def users():
    rows = db.session.scalars(
        select(User).options(selectinload(User.memberships)).order_by(User.active.desc(), User.name)
    ).all()
    departments = dict(_departments_area()["department_choices"]())
    return render_template(
        "auth/users.html", users=rows, departments=departments, MembershipRole=MembershipRole
    )


def _fill_user_form_choices(form: UserForm) -> None:
    choices = _departments_area()["department_choices"]()
    form.directs.choices = choices
    form.staff_of.choices = choices


def _departments_area() -> dict:
    """The departments to choose from and the chosen ones, from the organisation area
    (tracker.rendering.page_context: it builds on people, so auth does not import it)."""
    return page_context("auth.people")


def _departments(ids: list[int]) -> list:
    return _departments_area()["departments_by_id"](ids)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required(Role.admin)
def new_user():
    form = UserForm()
    _fill_user_form_choices(form)
    if form.validate_on_submit():
        with saving(form) as outcome:
            user = services.create_user(
                current_user,
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                locale=form.locale.data,
                directs=_departments(form.directs.data),
                staff_of=_departments(form.staff_of.data),
                active=form.active.data,
            )
        if outcome.ok:
            flash(_("User %(name)s is created.", name=user.name), "success")
            if user.active:
                flash(
                    _("%(name)s gets a mail with a link to choose a password.", name=user.name),
                    "info",
                )
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, person=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.admin)
def edit_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    _fill_user_form_choices(form)
    if request.method == "GET":
        form.role.data = user.role.value
        form.locale.data = user.locale or ""
        form.directs.data = sorted(user.directed_department_ids)
        form.staff_of.data = sorted(
            m.department_id for m in user.memberships if m.role is MembershipRole.staff
        )
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.update_user(
                current_user,
                user,
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                active=form.active.data,
                locale=form.locale.data,
                directs=_departments(form.directs.data),
                staff_of=_departments(form.staff_of.data),
            )
        if outcome.ok:
            flash(_("User %(name)s is saved.", name=user.name), "success")
            return redirect(url_for("auth.users"))
    return render_template(
        "auth/user_form.html",
        form=form,
        # Not `user`: that is the signed-in person every template (the header) shows.
        person=user,
        invited_at=invitations.latest_invitations([user.id]).get(user.id),
    )


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@role_required(Role.admin)
def deactivate_user(user_id: int):
    return _set_active(user_id, False)


@bp.route("/admin/users/<int:user_id>/activate", methods=["POST"])
@role_required(Role.admin)
def activate_user(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = db.session.get(User, user_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        with saving() as outcome:
            services.set_active(current_user, user, active)
        if outcome.ok:
            if active:
                flash(_("%(name)s can log in again.", name=user.name), "success")
            else:
                flash(_("%(name)s is deactivated and logged out.", name=user.name), "success")
    return redirect(url_for("auth.users"))


# --- Administrator: group mappings ----------------------------------------------------


@bp.route("/admin/group-mappings")
@role_required(Role.admin)
def group_mapping_list():
    pagination = db.paginate(
        queries.sign_ins_without_mapped_group(),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "auth/group_mappings.html",
        mappings=queries.group_mappings(),
        pagination=pagination,
        sso=oidc.settings(),
    )


def _group_mapping_form(mapping: GroupMapping | None) -> GroupMappingForm:
    form = GroupMappingForm(mapping=mapping)
    form.department_id.choices = [(None, _("No department"))] + _departments_area()[
        "department_choices"
    ]()
    if request.method == "GET" and mapping is not None:
        form.role.data = mapping.role.value
    return form


def _save_group_mapping(mapping: GroupMapping | None):
    form = _group_mapping_form(mapping)
    if form.validate_on_submit():
        chosen = _departments([form.department_id.data] if form.department_id.data else [])
        department = chosen[0] if chosen else None
        with saving(form) as outcome:  # what the form could not check (a name just taken)
            saved = group_mappings.save_group_mapping(
                current_user,
                mapping,
                group_name=form.group_name.data,
                role=Role(form.role.data),
                department=department,
            )
        if outcome.ok:
            flash(
                _(
                    "The mapping of group %(name)s is saved. It applies at each person's next "
                    "sign-in.",
                    name=saved.group_name,
                ),
                "success",
            )
            return redirect(url_for("auth.group_mapping_list"))
    return render_template("auth/group_mapping_form.html", form=form, mapping=mapping)


@bp.route("/admin/group-mappings/new", methods=["GET", "POST"])
@role_required(Role.admin)
def new_group_mapping():
    return _save_group_mapping(None)


@bp.route("/admin/group-mappings/<int:mapping_id>", methods=["GET", "POST"])
@role_required(Role.admin)
def edit_group_mapping(mapping_id: int):
    return _save_group_mapping(db.session.get(GroupMapping, mapping_id) or abort(404))


@bp.route("/admin/group-mappings/<int:mapping_id>/delete", methods=["POST"])
@role_required(Role.admin)
def delete_group_mapping(mapping_id: int):
    mapping = db.session.get(GroupMapping, mapping_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        name = mapping.group_name
        group_mappings.delete_group_mapping(current_user, mapping)
        db.session.commit()
        flash(_("The mapping of group %(name)s is deleted.", name=name), "success")
    return redirect(url_for("auth.group_mapping_list"))


# Invitations and password links: their own module, on this blueprint.
from tracker.auth import password_routes  # noqa: E402,F401
