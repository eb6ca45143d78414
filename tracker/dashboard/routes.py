from flask import Blueprint, redirect, render_template, send_from_directory, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker.extensions import db
from tracker.organisation.models import Department

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("dashboard/home.html", departments=_my_departments())


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
