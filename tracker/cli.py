"""flask commands: create-admin, demo, import-survey, import-users, effects, scheduler,
backup, restore."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from tracker.auth import services as auth_services
from tracker.auth.models import Role, User
from tracker.errors import DomainError
from tracker.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(demo)
    app.cli.add_command(import_survey)
    app.cli.add_command(import_users)
    app.cli.add_command(effects)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
    app.cli.add_command(scheduler)
    from tracker.provisioning.cli import scim_token

    app.cli.add_command(scim_token)


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Beheerder", show_default=True)
@click.password_option(
    "--password",
    envvar="TRACKER_ADMIN_PASSWORD",
    help="Asked for when not given (or set TRACKER_ADMIN_PASSWORD).",
)
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account (there is no built-in one)."""
    if len(password) < 10:
        raise click.ClickException("The password must have at least 10 characters.")
    try:
        user = auth_services.create_user(
            None,
            email=email,
            name=name,
            role=Role.admin,
            password=password,
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Administrator {user.email} created.")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def demo(if_empty: bool) -> None:
    """Load the demo municipality (for trying the tracker; never in production)."""
    from tracker import demo as demo_data

    if db.session.scalar(select(func.count(User.id))):
        if if_empty:
            click.echo("The database already has users; the demo is not loaded.")
            return
        raise click.ClickException("The database is not empty; the demo needs an empty one.")
    demo_data.load()
    db.session.commit()
    click.echo("Demo organisation loaded. Log in at http://127.0.0.1:5000/login with:")
    for email, role in demo_data.LOGINS:
        click.echo(f"  {email:<28} {role:<10} password: {demo_data.PASSWORD}")


FORMATS = [
    "auto",
    "findings",
    "qualtrics",
    "surveymonkey",
    "googleforms",
    "msforms",
    "limesurvey",
    "generic",
]


@click.command("import-survey")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--round", "round_name", required=True, help="Name of the survey round.")
@click.option(
    "--format", "file_format", type=click.Choice(FORMATS), default="auto", show_default=True
)
@click.option("--department-column", help="Header (or column id) of the department question.")
@click.option("--department", help="The whole file is about this one department.")
@click.option("--create-departments", is_flag=True, help="Create departments the file names.")
@click.option("--held-on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date of the results.")
@click.option(
    "--fieldwork-started-on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First day of the fieldwork (actions done later are too late for this round).",
)
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results.")
def import_survey(
    path,
    round_name,
    file_format,
    department_column,
    department,
    create_departments,
    held_on,
    fieldwork_started_on,
    dry_run,
    as_json,
):
    """Import a survey export (CSV or XLSX) into a round: findings per department."""
    from tracker.surveys import services

    data = path.read_bytes()
    request = services.ImportRequest(
        round_name=round_name,
        held_on=held_on.date() if held_on else None,
        fieldwork_started_on=fieldwork_started_on.date() if fieldwork_started_on else None,
        format=file_format,
        department_column=department_column,
        department=department,
        create_departments=create_departments,
    )
    show_progress = sys.stderr.isatty() and not as_json
    bar = (
        click.progressbar(
            length=max(1, data.count(b"\n")), label=f"{path.name}", file=sys.stderr, show_pos=True
        )
        if show_progress
        else None
    )

    def progress(done: int, expected: int) -> None:
        bar.length = expected
        bar.update(done - bar.pos)

    try:
        if bar is not None:
            with bar:
                summary = services.import_survey(None, data, path.name, request, progress)
        else:
            summary = services.import_survey(None, data, path.name, request)
    except services.UnknownDepartments as error:
        db.session.rollback()
        raise click.ClickException(
            str(error.message) + "\nUse --create-departments to create them."
        ) from None
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    if as_json:
        click.echo(json.dumps(_import_report(summary, dry_run), ensure_ascii=False, indent=2))
    else:
        verb = "Would import" if dry_run else "Imported"
        click.echo(
            f"{verb} {path.name} ({summary.parsed.format}, {summary.parsed.encoding or 'xlsx'}) "
            f"into round {summary.round.name}: {summary.parsed.respondents} respondents, "
            f"{len(summary.departments)} departments, {summary.findings} results, "
            f"{summary.proposed} proposed findings, {summary.comments} comments "
            f"in {summary.seconds:.1f} s."
        )


def _import_report(summary, dry_run: bool) -> dict:
    parsed = summary.parsed
    texts = {q.key: q.text for q in parsed.questions}
    return {
        "format": parsed.format,
        "encoding": parsed.encoding,
        "respondents": parsed.respondents,
        "dry_run": dry_run,
        "round": summary.round.name,
        "departments": {
            name: {
                "respondents": result.respondents,
                "questions": {
                    texts[key]: {"score": None if r.suppressed else r.score, "n": r.n}
                    for key, r in result.results.items()
                },
            }
            for name, result in parsed.departments.items()
        },
        "findings": summary.findings,
        "proposed_findings": summary.proposed,
        "comments": summary.comments,
    }


@click.command("effects")
@click.option("--round", "round_name", help="Only the effects measured in this round.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def effects(round_name, as_json):
    """Every measured effect of an action: its question's change, the change of the rest of
    the department, the difference with its 95% interval, the verdict and the method."""
    from tracker.actions.effects import measured_effects
    from tracker.organisation.queries import get_organisation
    from tracker.surveys.models import SurveyRound

    if round_name is not None and not db.session.scalar(
        select(SurveyRound.id).where(SurveyRound.name == round_name)
    ):
        raise click.ClickException(f"There is no survey round named {round_name!r}.")
    threshold = get_organisation().anonymity_threshold
    rows = [
        _effect_row(action, effect) for action, effect in measured_effects(threshold, round_name)
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo("\t".join(EFFECT_COLUMNS))
    for row in rows:
        click.echo("\t".join("" if row[c] is None else str(row[c]) for c in EFFECT_COLUMNS))


EFFECT_COLUMNS = (
    "department",
    "action_id",
    "action",
    "question",
    "scale",
    "before_round",
    "after_round",
    "change",
    "comparison_change",
    "comparison_questions",
    "difference",
    "low",
    "high",
    "verdict",
    "method",
)


def _effect_row(action, effect) -> dict:
    """One effect as plain values (yes/no questions as shares, 0..1)."""
    estimate = effect.estimate

    def figure(value):
        return None if value is None else round(value, 4)

    values = (
        action.department.name,
        action.id,
        action.title,
        effect.question,
        effect.scale.value,
        effect.before_round,
        effect.after_round,
        figure(estimate.change),
        figure(estimate.comparison_change),
        estimate.comparison_count,
        figure(estimate.difference),
        figure(estimate.low),
        figure(estimate.high),
        effect.verdict.value,
        estimate.method.value if estimate.method else None,
    )
    return dict(zip(EFFECT_COLUMNS, values, strict=True))


@click.command("import-users")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results.")
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="Deactivate active people who are in no row of the file (never the last "
    "administrator, never --by).",
)
@click.option(
    "--by",
    "by_email",
    metavar="EMAIL",
    help="The administrator running the import (never deactivated or demoted by it).",
)
def import_users(path, dry_run, as_json, deactivate_missing, by_email):
    """Create, update (and deactivate) people from an HR file: CSV or XLSX with the columns
    naam/name, e-mailadres/email, afdeling/department, rol/role. New people are mailed an
    invitation to choose their password."""
    from tracker.provisioning import hr_file, hr_import

    acting_user = None
    if by_email:
        acting_user = db.session.scalar(
            select(User).where(User.email == auth_services.normalise_email(by_email))
        )
        if acting_user is None or not acting_user.active or not acting_user.is_admin:
            raise click.ClickException(f"{by_email} is not an active administrator.")
    try:
        parsed = hr_file.parse_people(path.read_bytes())
        report = hr_import.import_people(
            acting_user, parsed, deactivate_missing=deactivate_missing, dry_run=dry_run
        )
    except (hr_file.PeopleFileError, DomainError) as error:
        db.session.rollback()
        raise click.ClickException(f"{path.name}: {error.message}") from None
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} {path.name}: {len(report.created)} created, {len(report.changed)} "
        f"changed, {report.unchanged} unchanged, {len(report.refused)} refused, "
        f"{len(report.deactivated)} deactivated."
    )
    for person in report.created:
        click.echo(
            f"  + {person['email']} ({person['name']}, {person['role']}"
            f"{', ' + person['department'] if person['department'] else ''})"
        )
    for change in report.changed:
        what = "; ".join(
            f"{name}: {_words(old)} -> {_words(new)}" for name, (old, new) in change.changes.items()
        )
        click.echo(f"  ~ {change.email}: {what}")
    for refused in report.refused:
        click.echo(f"  ! row {refused.row}: {refused.reason}")
    for person in report.deactivated:
        click.echo(f"  - {person['email']} ({person['name']}) deactivated")
    for person in report.kept:
        click.echo(f"  = {person['email']} not deactivated: {person['reason']}")


def _words(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(value) or "-"
    return str(value)


@click.command("scheduler")
@click.option(
    "--run-once",
    is_flag=True,
    help="Run every job that is due now once, then exit (for cron and checks).",
)
@click.option(
    "--job",
    "only",
    multiple=True,
    metavar="NAME",
    help="With --run-once: run this job (due or not); may be repeated.",
)
def scheduler(run_once: bool, only: tuple[str, ...]) -> None:
    """Run the scheduler in the foreground: reminders, escalations, digests, the outbox.

    Only one scheduler is active at a time (a lease in the database); others stand by."""
    from tracker.scheduler import jobs, runner

    unknown = set(only) - set(jobs.JOBS)
    if unknown:
        raise click.ClickException(
            f"Unknown job(s): {', '.join(sorted(unknown))}. Jobs: {', '.join(jobs.JOBS)}."
        )
    app = current_app._get_current_object()
    if not run_once:
        if only:
            raise click.ClickException("--job only goes with --run-once.")
        import signal

        # A service manager's SIGTERM stops it like Ctrl+C: the lease is let go at exit, so
        # a standby (or the restarted service) takes over at once.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        click.echo("Scheduler running; stop it with Ctrl+C.")
        try:
            runner.Runner(app, blocking=True).start()
        except (KeyboardInterrupt, SystemExit):
            click.echo("Scheduler stopped.")
        return
    results = runner.run_once(app, only=only)
    if results is None:
        click.echo("Another scheduler is active (it holds the lease); nothing was run.")
        return
    if not results:
        click.echo("No job is due.")
    for name, result in results.items():
        summary = ", ".join(f"{key}={value}" for key, value in result.items()) or "nothing to do"
        click.echo(f"{name}: {summary}")
    if any("error" in result for result in results.values()):
        raise SystemExit(1)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Write a consistent backup of the database to PATH (SQLite online backup or pg_dump)."""
    from tracker.operations import services

    try:
        method = services.backup(path)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {path} ({method}, {path.stat().st_size / 1e6:.1f} MB).")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Replace the database's contents with the backup at PATH."""
    from tracker.operations import services

    if not yes:
        click.confirm("This replaces everything in the database. Continue?", abort=True)
    try:
        method = services.restore(path)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Database restored from {path} ({method}).")
