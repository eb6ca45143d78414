"""Survey rounds, the import wizard, a department's results and the triage of findings."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from tracker import uploads
from tracker.auth.forms import ConfirmForm
from tracker.auth.models import Role
from tracker.auth.permissions import may_manage_department, refuse, role_required
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.forms import saving
from tracker.organisation.models import Department
from tracker.organisation.queries import department_choices, get_organisation
from tracker.rendering import kept_page, page_context
from tracker.surveys import queries, services, themes
from tracker.surveys.forms import (
    FORMAT_LABELS,
    KIND_LABELS,
    REVIVABLE,
    SCALE_CHOICES,
    SKIP_REASONS,
    ConfirmImportForm,
    LabelMapForm,
    QuestionThemeForm,
    TriageForm,
    UploadForm,
)
from tracker.surveys.importers import detect
from tracker.surveys.importers.base import SurveyFileError
from tracker.surveys.importers.template import findings_template
from tracker.surveys.models import (
    Finding,
    FindingKind,
    QuestionScale,
    Sphere,
    SurveyRound,
    Triage,
)
from tracker.surveys.scores import score_text

bp = Blueprint("surveys", __name__)


@bp.record_once
def _organisation_events(_state) -> None:
    services.connect_events()


@bp.route("/surveys")
@role_required(Role.director)
def rounds():
    return render_template("surveys/rounds.html", rounds=queries.rounds_newest_first())


@bp.route("/surveys/template.csv")
@role_required(Role.director)
def template():
    language = request.args.get("lang", "nl")
    if language not in ("nl", "en"):
        language = "nl"
    name = "bevindingen-sjabloon.csv" if language == "nl" else "findings-template.csv"
    return Response(
        findings_template(language),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/surveys/import", methods=["GET", "POST"])
@role_required(Role.director)
def upload():
    form = UploadForm()
    if request.method == "GET":
        form.round_name.data = request.args.get("round", "")
    if form.validate_on_submit():
        file = form.file.data
        data = file.read()
        refusal = _unreadable(data, file.filename or "upload")
        if refusal:
            # Refused files are not kept: the error is shown and the bytes are dropped.
            form.file.errors.append(refusal)
        else:
            token = uploads.store(
                current_app.instance_path, file.filename or "upload", current_user.id, data
            )
            return redirect(
                url_for(
                    "surveys.preview",
                    token=token,
                    round=form.round_name.data.strip(),
                    held_on=form.held_on.data.isoformat() if form.held_on.data else "",
                    fieldwork=(
                        form.fieldwork_started_on.data.isoformat()
                        if form.fieldwork_started_on.data
                        else ""
                    ),
                    format=form.format.data,
                )
            )
    return render_template("surveys/upload.html", form=form, rounds=queries.rounds_newest_first())


def _unreadable(data: bytes, file_name: str) -> str | None:
    """Why the file cannot be a survey export at all (empty, broken, not a table, over a
    bound), or None: then it is kept for the preview, where the choices can still change."""
    if not data:
        return _("The file is empty.")
    try:
        detect(data, file_name)
    except SurveyFileError as error:
        return services.file_error_message(file_name, error)
    return None


def _forged_scales(source) -> list[str]:
    """Scale choices that the preview's selects cannot send."""
    allowed = {value for value, _label in SCALE_CHOICES}
    return [
        source.get(key, "")
        for key in source
        if key.startswith("scale-") and source.get(key, "") not in allowed
    ]


def _import_request(form: ConfirmImportForm, source) -> services.ImportRequest:
    """The user's choices from the preview form (query string on first view, then the form)."""

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(source.get(name, "")) if source.get(name) else None
        except ValueError:
            return None

    mapping, scales, blocks, questions, predecessors, theme_names = {}, {}, {}, {}, {}, {}
    names = dict(department_choices())
    for key, value in source.items():
        if key.startswith("block_label-"):
            chosen = source.get("block-" + key.removeprefix("block_label-"), "")
            if chosen.isdigit() and int(chosen) in names:
                blocks[value] = names[int(chosen)]
        if key.startswith("map_name-"):
            chosen = source.get("map-" + key.removeprefix("map_name-"), "")
            if chosen.isdigit():
                mapping[value] = int(chosen)
        if key.startswith("scale_key-"):
            chosen = source.get("scale-" + key.removeprefix("scale_key-"), "")
            if chosen in {c for c, _label in SCALE_CHOICES if c}:
                scales[value] = chosen
            earlier = source.get("same-" + key.removeprefix("scale_key-"), "")
            if earlier.isdigit():
                questions[value] = int(earlier)
            theme = " ".join(source.get("theme-" + key.removeprefix("scale_key-"), "").split())
            if theme:
                theme_names[value] = theme[: themes.MAX_NAME]
        if key.startswith("map_name-"):
            earlier = [
                int(v)
                for v in source.getlist("continues-" + key.removeprefix("map_name-"))
                if v.isdigit()
            ]
            if earlier:
                predecessors[value] = earlier
    department_id = form.department.data if form.department.data else ""
    department = db.session.get(Department, int(department_id)) if department_id.isdigit() else None
    return services.ImportRequest(
        round_name=source.get("round", ""),
        held_on=day("held_on"),
        fieldwork_started_on=day("fieldwork"),
        format=form.format.data or "auto",
        # Column blocks per department win over a department column or a single department.
        department_column=None if blocks else (form.department_column.data or None),
        department=None if blocks or not department else department.name,
        department_blocks=blocks or None,
        department_mapping=mapping,
        create_departments=bool(form.create_departments.data),
        scale_overrides=scales or None,
        department_predecessors=predecessors,
        question_mapping=questions,
        question_themes=theme_names,
    )


@bp.route("/surveys/import/<token>", methods=["GET", "POST"])
@role_required(Role.director)
def preview(token: str):
    pending = uploads.load(current_app.instance_path, token, current_user.id)
    if pending is None:
        flash(_("This upload is no longer available. Upload the file again."), "warning")
        return redirect(url_for("surveys.upload"))
    source = request.form if request.method == "POST" else request.args
    form = ConfirmImportForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.format.data = request.args.get("format", "auto")
    organisation = get_organisation()

    detected, file_error = None, None
    try:
        detected = detect(pending.data, pending.file_name)
    except SurveyFileError as error:
        file_error = services.file_error_message(pending.file_name, error)
        # A file no choice can make readable is not kept either.
        uploads.discard(current_app.instance_path, token)
    columns = detected.department_columns if detected else []
    form.department_column.choices = [("", _("Detect"))] + [(c.key, c.text[:120]) for c in columns]
    form.department.choices = [("", _("(several departments)"))] + [
        (str(i), name) for i, name in department_choices()
    ]
    import_request = _import_request(form, source)
    forged = _forged_scales(source)

    if request.method == "POST" and form.confirm.data and form.validate() and not forged:
        with saving(form) as outcome:
            summary = services.import_survey(
                current_user, pending.data, pending.file_name, import_request
            )
        if outcome.ok:
            uploads.discard(current_app.instance_path, token)
            counts = (
                ngettext("%(num)d department", "%(num)d departments", len(summary.departments)),
                ngettext("%(num)d result", "%(num)d results", summary.findings),
                ngettext("%(num)d proposed finding", "%(num)d proposed findings", summary.proposed),
                ngettext("%(num)d comment", "%(num)d comments", summary.comments),
            )
            flash(
                _(
                    "%(file)s is imported: %(counts)s.",
                    file=pending.file_name,
                    counts=", ".join(counts),
                ),
                "success",
            )
            return redirect(url_for("surveys.round_page", round_id=summary.round.id))

    parsed, scale_question, unknown, matched = None, None, [], {}
    if file_error is None:
        try:
            round_ = db.session.scalar(
                select(SurveyRound).where(SurveyRound.name == import_request.round_name.strip())
            )
            parsed = services.parse_upload(
                pending.data,
                pending.file_name,
                import_request,
                organisation,
                round_.label_map if round_ else None,
            )
        except services.ScaleQuestion as error:
            scale_question = error
        except DomainError as error:
            file_error = error.message
        else:
            matched, unknown = services.match_departments(
                list(parsed.departments), import_request.department_mapping
            )
    if forged:
        form.form_errors.append(_("Choose a scale from the list for every question."))
    earlier = []
    if parsed is not None:
        round_ = db.session.scalar(
            select(SurveyRound).where(SurveyRound.name == import_request.round_name.strip())
        )
        earlier = services.earlier_questions(
            round_.held_on if round_ else import_request.held_on or date.today()
        )
    return render_template(
        "surveys/preview.html",
        form=form,
        pending=pending,
        detected=detected,
        parsed=parsed,
        file_error=file_error,
        scale_question=scale_question,
        unknown=unknown,
        matched=matched,
        import_request=import_request,
        departments=department_choices(),
        scale_choices=SCALE_CHOICES,
        kind_labels=KIND_LABELS,
        format_labels=FORMAT_LABELS,
        skip_reasons=SKIP_REASONS,
        revivable=REVIVABLE,
        threshold=organisation.anonymity_threshold,
        earlier_questions=earlier,
        earlier_texts={q.text: q for q in earlier},
        earlier_by_id={q.id: q for q in earlier},
        theme_names=[t.name for t in themes.all_themes()] if parsed is not None else [],
        suggested_themes=themes.suggested_themes(
            round_.held_on if round_ else import_request.held_on or date.today()
        )
        if parsed is not None
        else {},
    )


@bp.route("/surveys/<int:round_id>")
@role_required(Role.director)
def round_page(round_id: int):
    round_ = db.session.get(SurveyRound, round_id) or abort(404)
    return render_template(
        "surveys/round.html",
        round=round_,
        rows=queries.round_overview(round_),
        imports=queries.imports_of_round(round_id),
        format_labels=FORMAT_LABELS,
    )


@bp.route("/surveys/<int:round_id>/questions", methods=["GET", "POST"])
@role_required(Role.director)
def question_mapping(round_id: int):
    """Which earlier question each question of the round continues, when its wording changed."""
    round_ = db.session.get(SurveyRound, round_id) or abort(404)
    questions = [q for q in round_.questions if q.scale is not QuestionScale.open]
    earlier = services.earlier_questions(round_.held_on)
    form = ConfirmForm()
    if form.validate_on_submit():
        mapping = {}
        for question in questions:
            chosen = request.form.get(f"same-{question.id}", "")
            mapping[question.id] = int(chosen) if chosen.isdigit() else None
        with saving() as outcome:
            proposed = services.map_questions(current_user, round_, mapping)
        if outcome.ok:
            flash(
                ngettext(
                    "The questions are mapped. The change since the previous round is computed "
                    "again; %(num)d finding is proposed.",
                    "The questions are mapped. The change since the previous round is computed "
                    "again; %(num)d findings are proposed.",
                    proposed,
                ),
                "success",
            )
            return redirect(url_for("surveys.round_page", round_id=round_id))
    return render_template(
        "surveys/questions.html",
        round=round_,
        questions=questions,
        earlier=earlier,
        earlier_texts={q.text: q for q in earlier},
        form=form,
    )


def _may_read_department(department_id: int) -> bool:
    return current_user.has_role(Role.director) or department_id in current_user.department_ids


@bp.route("/surveys/<int:round_id>/departments/<int:department_id>")
@login_required
def department_results(round_id: int, department_id: int):
    round_ = db.session.get(SurveyRound, round_id) or abort(404)
    department = db.session.get(Department, department_id) or abort(404)
    if not _may_read_department(department_id):
        refuse("not a member of the department")

    # The effects of all the department's actions take long to work out: kept until
    # anything changes.
    return kept_page(
        "surveys/department.html",
        ("surveys.department_results", round_id, department_id),
        lambda: _department_content(round_, department),
        round=round_,
        department=department,
    )


def _department_content(
    round_: SurveyRound, department: Department, sent: TriageForm | None = None, sent_id=None
) -> str:
    """The content of a department's results; `sent`: the triage form of finding `sent_id`
    just refused, shown open at its finding with what was typed and its errors."""
    round_id, department_id = round_.id, department.id
    organisation = get_organisation()
    findings = queries.department_findings(round_id, department_id)
    previous = queries.previous_round(round_)
    summaries = {
        f.id: queries.summary(
            f,
            department.short_name,
            previous.name if previous else None,
            organisation.anonymity_threshold,
        )
        for f in findings
    }
    may_triage = may_manage_department(current_user, department_id)
    raw_comments = may_triage or queries.sees_raw_comments(current_user, department_id)
    # Points to improve first, strengths after them.
    proposed = [f for f in findings if f.proposed and f.kind is not FindingKind.strength] + [
        f for f in findings if f.proposed and f.kind is FindingKind.strength
    ]
    forms = {}
    if may_triage:
        for finding in findings:
            if finding.proposed:
                forms[finding.id] = sent if finding.id == sent_id else _triage_form(finding)
    return render_template(
        "surveys/_department.html",
        round=round_,
        department=department,
        findings=findings,
        proposed=proposed,
        summaries=summaries,
        forms=forms,
        sent_id=sent_id,
        comments=queries.department_comments(
            round_id, department_id, approved_only=not raw_comments
        ),
        raw_comments=raw_comments,
        respondents=queries.respondents(round_id, department_id),
        previous=previous,
        score_text=score_text,
        threshold=organisation.anonymity_threshold,
        may_quote=may_triage,
        theme_form=QuestionThemeForm() if may_triage else None,
        themes=themes.all_themes() if may_triage else [],
        # Each finding's actions and the actions' effects, from the actions area.
        **page_context(
            "surveys.department_results",
            reader=current_user,
            department=department,
            round_id=round_id,
            findings=proposed,
            threshold=organisation.anonymity_threshold,
        ),
    )


@bp.route("/surveys/effect-method")
@login_required
def effect_method():
    """How the effect of an action is measured, in plain words."""
    return render_template(
        "surveys/effect_method.html", threshold=get_organisation().anonymity_threshold
    )


def _triage_form(finding: Finding, formdata=None) -> TriageForm:
    form = TriageForm(formdata=formdata, prefix=f"f{finding.id}")
    if formdata is None:
        form.triage.data = finding.triage.value
        form.sphere.data = finding.sphere.value if finding.sphere else ""
        form.no_action_reason.data = finding.no_action_reason or ""
    return form


@bp.route("/findings/<int:finding_id>/triage", methods=["POST"])
@login_required
def triage(finding_id: int):
    finding = db.session.get(Finding, finding_id) or abort(404)
    if not services.may_triage(current_user, finding):
        refuse("not director of the finding's department")
    form = _triage_form(finding, request.form)
    back = (
        url_for(
            "surveys.department_results",
            round_id=finding.round_id,
            department_id=finding.department_id,
        )
        + f"#finding-{finding.id}"
    )
    if form.validate():
        with saving(form) as outcome:
            services.triage_finding(
                current_user,
                finding,
                Triage(form.triage.data),
                Sphere(form.sphere.data) if form.sphere.data else None,
                form.no_action_reason.data,
            )
        if outcome.ok:
            flash(_("The decision is saved."), "success")
            return redirect(back)
    # Refused: the results page again, this finding's form open with what was typed.
    round_ = db.session.get(SurveyRound, finding.round_id)
    department = db.session.get(Department, finding.department_id)
    body = _department_content(round_, department, sent=form, sent_id=finding.id)
    return render_template(
        "surveys/department.html", body=Markup(body), round=round_, department=department
    )


@bp.route("/surveys/<int:round_id>/departments/<int:department_id>/themes", methods=["POST"])
@login_required
def question_themes(round_id: int, department_id: int):
    """Give one or many questions of the department's results a theme."""
    round_ = db.session.get(SurveyRound, round_id) or abort(404)
    department = db.session.get(Department, department_id) or abort(404)
    if not may_manage_department(current_user, department_id):
        refuse("not director of the department")
    form = QuestionThemeForm(request.form)
    if form.validate():
        with saving() as outcome:
            changed = themes.set_theme(
                current_user,
                round_,
                department,
                form.question.data or [],
                form.new_theme.data or form.theme.data,
            )
        if outcome.ok:
            flash(
                ngettext(
                    "%(num)d question has the new theme.",
                    "%(num)d questions have the new theme.",
                    changed,
                ),
                "success",
            )
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
    return redirect(
        url_for("surveys.department_results", round_id=round_id, department_id=department_id)
        + "#h-results"
    )


@bp.route("/surveys/<int:round_id>/labels", methods=["GET", "POST"])
@role_required(Role.director)
def labels(round_id: int):
    round_ = db.session.get(SurveyRound, round_id) or abort(404)
    form = LabelMapForm()
    if request.method == "GET":
        form.labels.data = "\n".join(
            f"{label} = {'' if value is None else f'{value:g}'}"
            for label, value in (round_.label_map or {}).items()
        )
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.save_label_map(current_user, round_, form.parsed())
        if outcome.ok:
            flash(_("The answer labels of %(round)s are saved.", round=round_.name), "success")
            return redirect(url_for("surveys.round_page", round_id=round_.id))
    return render_template("surveys/labels.html", form=form, round=round_)


@bp.route("/surveys/<int:round_id>/benchmarks", methods=["GET", "POST"])
@role_required(Role.director)
def benchmarks(round_id: int):
    round_ = db.session.get(SurveyRound, round_id) or abort(404)
    rows = queries.question_benchmarks(round_id)
    form = ConfirmForm()
    errors = {}
    if form.validate_on_submit():
        values = {}
        for question, _current in rows:
            raw = request.form.get(f"benchmark-{question.id}", "").strip().replace(",", ".")
            try:
                values[question.id] = float(raw) if raw else None
            except ValueError:
                errors[question.id] = _("Enter a number, or leave it empty.")
        if not errors:
            try:
                proposed = services.set_benchmarks(current_user, round_, values)
            except DomainError as error:
                db.session.rollback()
                form.form_errors.append(error.message)
            else:
                db.session.commit()
                flash(
                    ngettext(
                        "The benchmarks are saved; %(num)d finding is proposed now.",
                        "The benchmarks are saved; %(num)d findings are proposed now.",
                        proposed,
                    ),
                    "success",
                )
                return redirect(url_for("surveys.round_page", round_id=round_.id))
    return render_template(
        "surveys/benchmarks.html",
        round=round_,
        rows=rows,
        form=form,
        errors=errors,
        submitted=request.form,
    )
