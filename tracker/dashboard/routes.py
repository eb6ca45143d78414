"""The home page: what needs the signed-in user's attention, per role."""

from datetime import timedelta

from flask import Blueprint, redirect, render_template, send_from_directory, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker import clock
from tracker.actions.forms import DeadlineDecisionForm
from tracker.auth.models import Role
from tracker.dashboard import queries
from tracker.extensions import db
from tracker.organisation.models import Department
from tracker.types import utcnow

#: An employee signing in for the first time sees what changed in this many days.
FIRST_VISIT_DAYS = 30

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    today = clock.today()
    directed = current_user.directed_department_ids
    director = queries.director_start(directed, today) if directed else None
    owner = (
        queries.owner_start(current_user, today)
        if current_user.role in (Role.owner, Role.director)
        else None
    )
    since = changes = None
    if current_user.role is Role.employee:
        # Per person, never kept: what changed since this person's previous sign-in.
        since = current_user.previous_login_at
        changes = queries.public_changes(since or utcnow() - timedelta(days=FIRST_VISIT_DAYS))
    return render_template(
        "dashboard/home.html",
        departments=_my_departments(),
        director=director,
        decision_form=DeadlineDecisionForm(formdata=None) if director else None,
        owner=owner,
        today=today,
        since=since,
        changes=changes,
    )


def _my_departments() -> list[Department]:
    """Only the user's own departments: one query, whatever the size of the organisation."""
    mine = current_user.department_ids
    if not mine:
        return []
    return list(
        db.session.scalars(
            select(Department)
            .where(Department.id.in_(mine), Department.active.is_(True))
            .order_by(Department.name)
        )
    )


@bp.route("/favicon.ico")
def favicon():
    from flask import current_app

    return send_from_directory(current_app.static_folder, "favicon.ico")
