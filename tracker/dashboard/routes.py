from flask import Blueprint, redirect, render_template, send_from_directory, url_for
from flask_login import current_user

from tracker.organisation.queries import departments_with_people

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("dashboard/home.html", departments=_my_departments())


def _my_departments():
    mine = current_user.department_ids
    return [d for d in departments_with_people() if d.id in mine]


@bp.route("/favicon.ico")
def favicon():
    from flask import current_app

    return send_from_directory(current_app.static_folder, "favicon.ico")

