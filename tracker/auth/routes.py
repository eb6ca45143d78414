"""Log-in, log-out, own account, language, and the administrator's user pages."""
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
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.auth import invitations, services
from tracker.auth.forms import (
    AccountForm,
    ConfirmForm,
    LanguageForm,
    LoginForm,
    PasswordForm,
    UserForm,
)
from tracker.auth.models import Role, User
from tracker.auth.permissions import role_required
from tracker.errors import DomainError
from tracker.extensions import csrf, db
from tracker.forms import saving
from tracker.organisation.models import Department, MembershipRole
from tracker.organisation.queries import department_choices

bp = Blueprint("auth", __name__)


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.email.data, form.password.data, request.remote_addr or "-", _limits()
            )
        except DomainError as error:
            db.session.commit()  # the failed attempt counts towards the limit
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            session.pop("lang", None)
            return redirect(next_url or url_for("dashboard.home"))
    return render_template("auth/login.html", form=form)


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
        select(User)
        .options(selectinload(User.memberships))
        .order_by(User.active.desc(), User.name)
    ).all()
    departments = dict(department_choices(include_inactive=True))
    return render_template(
        "auth/users.html", users=rows, departments=departments, MembershipRole=MembershipRole
    )


def _fill_user_form_choices(form: UserForm) -> None:
    choices = department_choices(include_inactive=True)
    form.directs.choices = choices
    form.staff_of.choices = choices


def _departments(ids: list[int]) -> list[Department]:
    if not ids:
        return []
    return list(db.session.scalars(select(Department).where(Department.id.in_(ids))))


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
                flash(_("%(name)s gets a mail with a link to choose a password.",
                        name=user.name), "info")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


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
    return render_template("auth/user_form.html", form=form, user=user,
                           invited_at=invitations.latest_invitations([user.id]).get(user.id))


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


# The HR file import, invitations and password links: their own module, on this blueprint.
from tracker.auth import people_routes  # noqa: E402,F401
