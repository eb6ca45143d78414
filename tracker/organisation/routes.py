"""Departments for everyone to see; staff lists for their directors; settings for admins."""

from datetime import date, timedelta

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker import clock, formatting
from tracker.auth.models import DepartmentMembership, Role, User
from tracker.auth.permissions import may_manage_department, refuse, role_required
from tracker.config import retention_days
from tracker.extensions import db
from tracker.forms import saving
from tracker.organisation import events, queries, services
from tracker.organisation.closed_days import closed_days
from tracker.organisation.forms import DepartmentForm, DirectorateForm, SettingsForm, StaffForm
from tracker.organisation.models import Department, Directorate
from tracker.organisation.queries import (
    accessibility_contacts,
    department_choices,
    departments_with_people,
    directorates,
    get_organisation,
)
from tracker.rendering import provide_page_context

bp = Blueprint("organisation", __name__)


@bp.record_once
def _settings_for_shared_helpers(_state) -> None:
    # The clock and the `people` filter read the organisation's settings through these
    # (settings kept per request or data version, like the name in the layout: no page query).
    clock.use_time_zone_of(lambda: get_organisation().timezone)
    formatting.use_anonymity_threshold_of(lambda: queries.anonymity_threshold())


@bp.app_context_processor
def layout_context() -> dict:
    return {"organisation_name": get_organisation().name}


@bp.record_once
def _people_pages_context(state) -> None:
    # The admin's pages of people (auth) place them in departments; auth does not import
    # this area, which builds on people.
    provide_page_context(
        state.app,
        "auth.people",
        lambda: {
            "department_choices": lambda: queries.department_choices(include_inactive=True),
            "departments_by_id": queries.departments_by_id,
        },
    )


@bp.route("/accessibility")
def accessibility():
    """The accessibility statement: open to everyone, signed in or not (the law asks it)."""
    return render_template(
        "organisation/accessibility.html",
        contacts=accessibility_contacts(current_app.config["ACCESSIBILITY_CONTACT"]),
        checked_on=date.fromisoformat(current_app.config["ACCESSIBILITY_CHECKED_ON"]),
    )


#: The retention periods as the privacy page names them: kind, what, why.
RETENTION_WORDS = (
    ("login_attempts", _l("Log-in attempts"), _l("to stop and look into attacks")),
    ("audit_events", _l("Who changed what (audit trail)"), _l("to answer for changes")),
    (
        "raw_comments",
        _l("Survey comments as written (not chosen as a quote)"),
        _l("for the department to read them back"),
    ),
    (
        "reactions_of_people_who_left",
        _l("Comments on reactions of people who left"),
        _l("their reaction still counts; the words go"),
    ),
    ("uploads", _l("Uploaded survey files not yet imported"), _l("to finish an import")),
)


@bp.route("/privacy")
def privacy():
    """The privacy statement with the retention periods: open to everyone."""
    return render_template(
        "organisation/privacy.html",
        periods=[
            (kind, label, why, retention_days(current_app.config, kind))
            for kind, label, why in RETENTION_WORDS
        ],
        threshold=get_organisation().anonymity_threshold,
    )


@bp.route("/departments")
@login_required
def departments():
    return render_template(
        "organisation/departments.html",
        departments=departments_with_people(include_inactive=current_user.is_admin),
    )


def _department_or_404(department_id: int) -> Department:
    department = db.session.scalar(
        select(Department)
        .where(Department.id == department_id)
        .options(selectinload(Department.memberships).selectinload(DepartmentMembership.user))
    )
    if department is None:
        abort(404)
    return department


@bp.route("/departments/<int:department_id>")
@login_required
def department(department_id: int):
    department = _department_or_404(department_id)
    return render_template(
        "organisation/department.html",
        department=department,
        may_manage=may_manage_department(current_user, department.id),
    )


@bp.route("/departments/<int:department_id>/staff", methods=["GET", "POST"])
@login_required
def department_staff(department_id: int):
    department = _department_or_404(department_id)
    if not may_manage_department(current_user, department.id):
        refuse("not director of department")
    form = StaffForm()
    people = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    form.staff.choices = [(u.id, f"{u.name} ({u.email})") for u in people]
    if request.method == "GET":
        form.staff.data = [u.id for u in department.staff]
        form.publish_owner_names.data = department.publish_owner_names
    if form.validate_on_submit():
        chosen = [u for u in people if u.id in set(form.staff.data)]
        with saving(form) as outcome:
            services.set_staff(
                current_user, department, chosen, publish_owner_names=form.publish_owner_names.data
            )
        if outcome.ok:
            flash(_("The staff of %(name)s is saved.", name=department.name), "success")
            return redirect(url_for("organisation.department", department_id=department.id))
    return render_template("organisation/staff_form.html", form=form, department=department)


# --- Administrator --------------------------------------------------------------------


def _directorate_choices(form: DepartmentForm, department: Department | None = None) -> None:
    form.directorate_id.choices = [(0, _("(none)"))] + [(d.id, d.name) for d in directorates()]
    form.predecessors.choices = [
        (i, name)
        for i, name in department_choices(include_inactive=True)
        if department is None or i != department.id
    ]


def _save_lineage(form: DepartmentForm, department: Department) -> None:
    """Other names and the departments it continues; the previous scores of its rounds follow."""
    services.set_aliases(current_user, department, (form.aliases.data or "").splitlines())
    earlier = list(
        db.session.scalars(
            select(Department).where(Department.id.in_(form.predecessors.data or []))
        )
    )
    before = {d.id for d in department.predecessors}
    services.set_predecessors(current_user, department, earlier)
    if before != {d.id for d in earlier}:
        events.lineage_changed.send(department)


@bp.route("/admin/departments/new", methods=["GET", "POST"])
@role_required(Role.admin)
def new_department():
    form = DepartmentForm()
    _directorate_choices(form)
    if form.validate_on_submit():
        with saving(form) as outcome:
            department = services.create_department(
                current_user,
                name=form.name.data,
                short_name=form.short_name.data,
                directorate=db.session.get(Directorate, form.directorate_id.data),
            )
            department.active = form.active.data
            department.publish_owner_names = form.publish_owner_names.data
            _save_lineage(form, department)
        if outcome.ok:
            flash(_("Department %(name)s is created.", name=department.name), "success")
            return redirect(url_for("organisation.departments"))
    return render_template("organisation/department_form.html", form=form, department=None)


@bp.route("/admin/departments/<int:department_id>", methods=["GET", "POST"])
@role_required(Role.admin)
def edit_department(department_id: int):
    department = db.session.get(Department, department_id) or abort(404)
    form = DepartmentForm(obj=department)
    _directorate_choices(form, department)
    if request.method == "GET":
        form.directorate_id.data = department.directorate_id or 0
        form.aliases.data = "\n".join(alias.name for alias in department.aliases)
        form.predecessors.data = [d.id for d in department.predecessors]
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.update_department(
                current_user,
                department,
                name=form.name.data,
                short_name=form.short_name.data,
                directorate=db.session.get(Directorate, form.directorate_id.data),
                active=form.active.data,
                publish_owner_names=form.publish_owner_names.data,
            )
            _save_lineage(form, department)
        if outcome.ok:
            flash(_("Department %(name)s is saved.", name=department.name), "success")
            return redirect(url_for("organisation.departments"))
    return render_template("organisation/department_form.html", form=form, department=department)


@bp.route("/admin/settings", methods=["GET", "POST"])
@role_required(Role.admin)
def settings():
    organisation = get_organisation()
    form = SettingsForm(obj=organisation)
    if not form.is_submitted():
        days, escalation = services.reminder_settings(organisation)
        form.reminder_days_before.data = ", ".join(str(d) for d in days)
        form.escalation_days.data = escalation
        form.holiday_country.data = organisation.holiday_country or ""
    directorate_form = DirectorateForm(prefix="directorate")
    if directorate_form.submit.data and directorate_form.validate_on_submit():
        with saving(directorate_form) as outcome:
            services.create_directorate(current_user, directorate_form.name.data)
        if outcome.ok:
            flash(_("The directorate is added."), "success")
            return redirect(url_for("organisation.settings"))
    elif form.submit.data and form.validate_on_submit():
        with saving(form) as outcome:
            services.save_settings(
                current_user,
                name=form.name.data,
                default_locale=form.default_locale.data,
                anonymity_threshold=form.anonymity_threshold.data,
                timezone=form.timezone.data,
                rules={name: getattr(form, name).data for name in services.FINDING_RULES},
                public_without_login=form.public_without_login.data,
                reminder_days_before=form.reminder_days_before.data,
                escalation_days=form.escalation_days.data,
                holiday_country=form.holiday_country.data,
                holiday_region=form.holiday_region.data,
                closed_days=form.closed_days.data,
            )
            # What was imported under a lower threshold is hidden now too (by surveys).
            events.anonymity_threshold_saved.send(form.anonymity_threshold.data)
        if outcome.ok:
            flash(_("The settings are saved."), "success")
            return redirect(url_for("organisation.settings"))
    today = clock.today()
    return render_template(
        "organisation/settings.html",
        form=form,
        directorate_form=directorate_form,
        directorates=directorates(),
        closed=closed_days().closed_working_days(today, today + timedelta(days=365)),
    )
