"""Settings from the environment, with safe defaults for `make run`."""

import os
import secrets
from pathlib import Path


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _days(value: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """ "14,3,0" -> (14, 3, 0)."""
    if not value:
        return default
    return tuple(sorted({int(part) for part in value.split(",") if part.strip()}, reverse=True))


def from_environment(instance_path: Path) -> dict:
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_path / 'tracker.db'}"
        ),
        "SESSION_COOKIE_SECURE": _bool("SECURE_COOKIES"),
        "REMEMBER_COOKIE_SECURE": _bool("SECURE_COOKIES"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "50")) * 1024 * 1024,
        # The tracker's own log lines (requests, imports, scheduler runs) at this level.
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        # Mail, with Flask-Mail's names. MAIL_SERVER unset: no SMTP; messages stay in the
        # in-app outbox (/admin/outbox), marked as held.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or (465 if _bool("MAIL_USE_SSL") else 25)),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", DEFAULTS["MAIL_DEFAULT_SENDER"]
        ),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", DEFAULTS["MAIL_TIMEOUT"])),
        **{
            f"RETENTION_{kind.upper()}_DAYS": int(
                os.environ.get(
                    f"RETENTION_{kind.upper()}_DAYS", DEFAULTS[f"RETENTION_{kind.upper()}_DAYS"]
                )
            )
            for kind in RETENTION_KINDS
        },
        "ACCESSIBILITY_CONTACT": os.environ.get("ACCESSIBILITY_CONTACT") or None,
        "ACCESSIBILITY_CHECKED_ON": os.environ.get(
            "ACCESSIBILITY_CHECKED_ON", DEFAULTS["ACCESSIBILITY_CHECKED_ON"]
        ),
        # Absolute links in e-mail, and the OpenID Connect redirect URI.
        "BASE_URL": os.environ.get("BASE_URL", DEFAULTS["BASE_URL"]).rstrip("/"),
        # OpenID Connect sign-in (README "Connecting your identity provider"). Without an
        # issuer, a client id and a secret there is no button and /login/oidc answers 404.
        "OIDC_ISSUER": (os.environ.get("OIDC_ISSUER") or "").rstrip("/") or None,
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID") or None,
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET") or None,
        "OIDC_PROVIDER_NAME": os.environ.get("OIDC_PROVIDER_NAME")
        or DEFAULTS["OIDC_PROVIDER_NAME"],
        "OIDC_GROUPS_CLAIM": os.environ.get("OIDC_GROUPS_CLAIM") or DEFAULTS["OIDC_GROUPS_CLAIM"],
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES") or DEFAULTS["OIDC_SCOPES"],
        "OIDC_ONLY": _bool("OIDC_ONLY"),
        "OIDC_TRUST_EMAIL": _bool("OIDC_TRUST_EMAIL"),
        "OIDC_TIMEOUT": float(os.environ.get("OIDC_TIMEOUT", DEFAULTS["OIDC_TIMEOUT"])),
        "REMINDER_DAYS_BEFORE": _days(
            os.environ.get("REMINDER_DAYS_BEFORE"), DEFAULTS["REMINDER_DAYS_BEFORE"]
        ),
        "ESCALATION_DAYS": int(os.environ.get("ESCALATION_DAYS", DEFAULTS["ESCALATION_DAYS"])),
        "SCHEDULER_LEASE_SECONDS": int(
            os.environ.get("SCHEDULER_LEASE_SECONDS", DEFAULTS["SCHEDULER_LEASE_SECONDS"])
        ),
        "PROXY_FIX": _bool("PROXY_FIX"),
        "METRICS_ALLOW": os.environ.get("METRICS_ALLOW", DEFAULTS["METRICS_ALLOW"]),
        "HSTS_SECONDS": int(os.environ.get("HSTS_SECONDS", DEFAULTS["HSTS_SECONDS"])),
        "DATA_VERSION_MAX_AGE": float(
            os.environ.get("DATA_VERSION_MAX_AGE", DEFAULTS["DATA_VERSION_MAX_AGE"])
        ),
    }


#: The kinds of personal data with a retention period (RETENTION_<KIND>_DAYS).
RETENTION_KINDS = (
    "login_attempts",
    "audit_events",
    "raw_comments",
    "reactions_of_people_who_left",
    "uploads",
)


def retention_days(config, kind: str) -> int:
    """How many days `kind` (one of RETENTION_KINDS) is kept under an app's `config`: the
    housekeeping job deletes by it and the privacy page states it."""
    return int(config[f"RETENTION_{kind.upper()}_DAYS"])


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "BABEL_DEFAULT_LOCALE": "nl",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
    "LANGUAGES": {"nl": "Nederlands", "en": "English"},
    "BOOTSTRAP_SERVE_LOCAL": True,
    # werkzeug's scrypt: memory-hard; tests use cheaper parameters.
    "PASSWORD_HASH_METHOD": "scrypt",
    # Failed log-ins allowed within the window, per account and per client address.
    "LOGIN_WINDOW_MINUTES": 15,
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_MAX_FAILURES_PER_IP": 20,
    "WTF_CSRF_TIME_LIMIT": None,
    # Mail and scheduler (see README "Mail and scheduler"). No MAIL_SERVER: the outbox only.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "Tracker <tracker@localhost>",
    #: Seconds before an SMTP connect or reply counts as a (temporary) failure.
    "MAIL_TIMEOUT": 30,
    "BASE_URL": "http://127.0.0.1:5000",
    #: The accessibility statement (/accessibility): where to report a barrier (unset: the
    #: application's administrators) and the date of the last check against WCAG 2.1 AA.
    #: Retention (AVG/GDPR), in days: the daily housekeeping job deletes what is older
    #: (tracker/operations/retention.py); the privacy page (/privacy) states these periods.
    "RETENTION_LOGIN_ATTEMPTS_DAYS": 30,
    "RETENTION_AUDIT_EVENTS_DAYS": 730,
    "RETENTION_RAW_COMMENTS_DAYS": 1095,
    "RETENTION_REACTIONS_OF_PEOPLE_WHO_LEFT_DAYS": 365,
    "RETENTION_UPLOADS_DAYS": 1,
    "ACCESSIBILITY_CONTACT": None,
    "ACCESSIBILITY_CHECKED_ON": "2026-12-04",
    # OpenID Connect (all unset: password log-in only).
    "OIDC_ISSUER": None,
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,
    #: The button says "Sign in with <name>".
    "OIDC_PROVIDER_NAME": "SSO",
    #: The claim (in the ID token or from the userinfo endpoint) that lists the groups.
    "OIDC_GROUPS_CLAIM": "groups",
    "OIDC_SCOPES": "openid email profile",
    #: Hide the password form; only administrators may still log in with a password, at
    #: /login?local=1 (break-glass).
    "OIDC_ONLY": False,
    #: Treat the provider's e-mail addresses as verified even without `email_verified`
    #: (Entra ID sends none; only for a directory your organisation controls).
    "OIDC_TRUST_EMAIL": False,
    #: Seconds before a request to the provider counts as the provider being unreachable.
    "OIDC_TIMEOUT": 10,
    #: Deadline reminders this many days before the deadline (0: on the day).
    "REMINDER_DAYS_BEFORE": (14, 3, 0),
    #: Overdue actions: a reminder every this many days while overdue.
    "OVERDUE_REMINDER_DAYS": 7,
    #: Escalate to the department's directors this many days after the deadline.
    "ESCALATION_DAYS": 14,
    #: Weekly digests on this weekday (0 = Monday) at SCHEDULER_HOUR, in the organisation's
    #: time zone; daily jobs run at SCHEDULER_HOUR too.
    "DIGEST_WEEKDAY": 0,
    "SCHEDULER_HOUR": 7,
    #: One-click links in mail stop working after this many days.
    "SIGNED_LINK_MAX_AGE_DAYS": 14,
    "OUTBOX_BATCH_SIZE": 500,
    #: First retry after this many seconds, doubling per attempt (at most 6 hours).
    "OUTBOX_RETRY_SECONDS": 60,
    "OUTBOX_MAX_ATTEMPTS": 12,
    #: A claimed message not finished after this many seconds belongs to a dead run.
    "OUTBOX_SENDING_TIMEOUT": 600,
    #: Only the scheduler holding this database lease runs jobs; it renews it well before.
    "SCHEDULER_LEASE_SECONDS": 60,
    #: Seconds a process trusts the data version it read (tracker.changes): how long another
    #: server's change can take to show here.
    "DATA_VERSION_MAX_AGE": 0.5,
    #: Networks that may read /metrics (comma-separated); others get a 404.
    "METRICS_ALLOW": "127.0.0.1/32,::1/128",
    #: Strict-Transport-Security on responses served over HTTPS (0: not sent).
    "HSTS_SECONDS": 31536000,
}
