"""The tracker: follow-up of internal-customer surveys by staff departments."""

from __future__ import annotations

import hmac
import logging
import os
from contextlib import suppress
from pathlib import Path

from flask import Flask, has_request_context, render_template, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from tracker import config as config_module
from tracker.extensions import babel, bootstrap, csrf, db, login_manager, migrate

# Strict: no inline script or style anywhere, no framing, nothing from other origins.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        # INSTANCE_PATH: each server its own folder (uploads in progress, a generated key).
        instance_path=os.environ.get("INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(Path(__file__).resolve().parent.parent / "templates"),
    )
    configure_settings(app, config)
    configure_inputs(app)
    configure_extensions(app)
    configure_blueprints(app)
    configure_security(app)
    configure_request_log(app)
    configure_errors(app)
    configure_templates(app)
    configure_cli(app)
    return app


def configure_settings(app: Flask, config: dict | None) -> None:
    app.config.update(config_module.DEFAULTS)
    if config is None or "SECRET_KEY" not in config or "SQLALCHEMY_DATABASE_URI" not in config:
        app.config.update(config_module.from_environment(Path(app.instance_path)))
    if config:
        app.config.update(config)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def configure_inputs(app: Flask) -> None:
    """Bounded input (tracker.inputs); before the blueprints, whose routes use `<int:...>`."""
    from tracker import inputs

    app.request_class = inputs.Request
    app.url_map.converters["int"] = inputs.IdConverter


def configure_extensions(app: Flask) -> None:
    # Models must be imported before Flask-Migrate looks at the metadata.
    from tracker import models  # noqa: F401

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    from tracker import changes
    from tracker.audit import tracking

    tracking.init_app(app)

    changes.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from sqlalchemy import event

        with app.app_context():

            @event.listens_for(db.engine, "connect")
            def _sqlite_pragmas(dbapi_connection, _record):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                # WAL: readers do not block the writer (web workers beside the scheduler).
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=5000")
                cursor.close()


def load_user(identity: str):
    from tracker.auth.models import User

    user_id, _, token = identity.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(user.session_token, token):
        return None
    return user


def _organisation():
    from tracker.organisation.queries import get_organisation

    return get_organisation()


def select_locale() -> str:
    languages = current_app_languages()
    if not has_request_context():
        # A command or scheduler job: the organisation's language (mail sets its own).
        return _setting("default_locale")
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    return _setting("default_locale")


def select_timezone() -> str:
    return _setting("timezone")


def _setting(name: str):
    """An organisation setting, without a query per request (see tracker.changes)."""
    from tracker import changes

    return changes.remembered(f"organisation.{name}", lambda: getattr(_organisation(), name))


def current_app_languages() -> dict:
    from flask import current_app

    return current_app.config["LANGUAGES"]


def configure_blueprints(app: Flask) -> None:
    from tracker.actions.routes import bp as actions_bp
    from tracker.auth.routes import bp as auth_bp
    from tracker.cocreation.routes import bp as cocreation_bp
    from tracker.dashboard.routes import bp as dashboard_bp
    from tracker.operations.routes import bp as operations_bp
    from tracker.organisation.routes import bp as organisation_bp
    from tracker.public.routes import bp as public_bp
    from tracker.surveys.routes import bp as surveys_bp

    app.register_blueprint(dashboard_bp)
    app.register_blueprint(operations_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(organisation_bp)
    app.register_blueprint(actions_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(cocreation_bp)
    from tracker.notifications.routes import bp as notifications_bp
    from tracker.scheduler.routes import bp as scheduler_bp

    app.register_blueprint(notifications_bp)
    app.register_blueprint(scheduler_bp)
    from tracker.meetings.routes import bp as meetings_bp

    app.register_blueprint(meetings_bp)
    from tracker.audit.routes import bp as audit_bp

    app.register_blueprint(audit_bp)
    from tracker.provisioning.api import bp as scim_bp
    from tracker.provisioning.routes import bp as provisioning_bp

    app.register_blueprint(scim_bp)
    app.register_blueprint(provisioning_bp)
    from tracker import provisioning

    provisioning.init_app(app)


def configure_request_log(app: Flask) -> None:
    """One JSON line per log record, one per request (tracker.operations.logs), and the
    metrics per route."""
    # The tracker's loggers log at LOG_LEVEL through Flask's handler (stderr, which gunicorn,
    # `flask run` and systemd all collect); without this only warnings would show.
    from flask.logging import default_handler

    from tracker.operations import logs, metrics

    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    logs.init_app(app, default_handler)
    metrics.init_app(app)


def configure_security(app: Flask) -> None:
    from tracker.operations.logs import signed_in_id

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        if request.is_secure and app.config.get("HSTS_SECONDS"):
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={int(app.config['HSTS_SECONDS'])}"
            )
        if signed_in_id():
            # Pages with personal data must not be kept by shared browsers or proxies.
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response


def configure_errors(app: Flask) -> None:
    from tracker.operations import outage

    def render_error(status: int, message=None):
        from flask import g

        try:
            return render_template(
                f"errors/{status}.html", message=message, request_id=g.get("request_id")
            ), status
        except outage.UNREACHABLE as error:
            # The error page's navigation asks the database: during an outage, say that.
            return outage.unavailable(error)

    for status in (403, 404, 405, 413):
        app.register_error_handler(status, lambda error, status=status: render_error(status))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        logging.getLogger("tracker.security").warning(
            "csrf refused path=%s reason=%s", request.path, error.description
        )
        return render_error(
            400,
            _l(
                "The form was sent without a valid security token, perhaps because it was open "
                "too long. Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(500)
    def server_error(error):
        with suppress(*outage.UNREACHABLE):
            db.session.rollback()
        return render_error(500)

    outage.init_app(app)


def configure_templates(app: Flask) -> None:
    from tracker import formatting

    formatting.init_app(app)


def configure_cli(app: Flask) -> None:
    from tracker.cli import register

    register(app)
