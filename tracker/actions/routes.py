"""Pages of improvement actions: my actions, the action page with its quick update form and
history, creating and editing, the workflow steps of the director, the overviews per
department and across departments, the roll-up, exports, and the admin's libraries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from babel.dates import format_date as babel_format_date
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker import changes, clock
from tracker.actions import effects, exports, queries, services
from tracker.actions.forms import (
    CONSTRAINT_LABELS,
    DECISION_LABELS,
    PRIORITY_LABELS,
    SPHERE_LABELS,
    STATUS_LABELS,
    VISIBILITY_LABELS,
    ActionForm,
    ActionTemplateForm,
    CancelForm,
    DeadlineDecisionForm,
    DeclineForm,
    DeclineTemplateForm,
    FilterForm,
    ReopenForm,
    UpdateForm,
)
from tracker.actions.models import (
    ActionStatus,
    ActionTemplate,
    DeadlineDecision,
    DeadlineRequest,
    DeclineConstraint,
    DeclineTemplate,
    ImprovementAction,
    Priority,
    Visibility,
)
from tracker.actions.queries import ActionFilter
from tracker.auth.models import Role, User
from tracker.auth.permissions import refuse, role_required
from tracker.extensions import db
from tracker.formatting import DAY_PATTERN
from tracker.forms import saving
from tracker.inputs import id_or_none
from tracker.organisation.models import Department
from tracker.organisation.queries import department_choices, get_organisation
from tracker.rendering import kept_page, list_args, provide_page_context
from tracker.surveys.models import Sphere, Theme

bp = Blueprint("actions", __name__)


# --- Template helpers ---------------------------------------------------------------------


@bp.app_template_filter("status_label")
def status_label(status: ActionStatus) -> str:
    return STATUS_LABELS[status]


@bp.app_template_filter("list_date")
def list_date(value) -> str:
    """Like the `date` filter (medium format, organisation time zone), for long lists: the
    locale and zone are looked up once per request and each value is formatted once per
    language and zone in this process."""
    if not value:
        return "–"
    where = g.get("list_dates")
    if where is None:
        where = g.list_dates = (str(get_locale()), get_timezone())
    return _list_date(*where, value)


@lru_cache(maxsize=8192)
def _list_date(locale: str, zone, value) -> str:
    day = value.astimezone(zone).date() if isinstance(value, datetime) else value
    return babel_format_date(day, DAY_PATTERN, locale=locale)


@bp.app_context_processor
def menu_context():
    return {"shows_my_actions": _shows_my_actions()}


def _shows_my_actions() -> bool:
    """The menu offers "My actions" to owners and to anyone who owns or co-owns an action:
    asked once per request, however many templates it renders."""
    if "shows_my_actions" not in g:
        g.shows_my_actions = current_user.is_authenticated and (
            current_user.has_role(Role.owner) or queries.has_actions(current_user)
        )
    return g.shows_my_actions


@bp.record_once
def _survey_results_context(state) -> None:
    provide_page_context(state.app, "surveys.department_results", actions_on_survey_results)


def actions_on_survey_results(
    *, reader: User, department: Department, round_id: int, findings, threshold: int
) -> dict:
    """What the survey results of a department show of this area (surveys do not import it):
    under each finding its first actions, those the reader may see and how many there are; the
    effects of the department's actions that the reader may see; whether they may create an
    action from a finding."""
    first = queries.first_actions_by_finding([f.id for f in findings])
    return {
        "first_actions": first,
        "visible_actions": {
            finding_id: [a for a in actions if services.may_view(reader, a)]
            for finding_id, actions in first.actions.items()
        },
        "effects": [
            (action, effect)
            for action, effect in effects.department_effects(department.id, round_id, threshold)
            if services.may_view(reader, action)
        ],
        "creatable_departments": services.creatable_departments(reader, [department.id]),
    }


@bp.record_once
def _template_globals(state) -> None:
    """Names the action templates use, also inside imported macros."""
    state.app.jinja_env.globals.update(
        ActionStatus=ActionStatus,
        Visibility=Visibility,
        PRIORITY_LABELS=PRIORITY_LABELS,
        SPHERE_LABELS=SPHERE_LABELS,
        VISIBILITY_LABELS=VISIBILITY_LABELS,
        CONSTRAINT_LABELS=CONSTRAINT_LABELS,
        DECISION_LABELS=DECISION_LABELS,
        change_value=change_value,
        change_field=change_field,
        action_labels=action_labels,
        STATUS_CLASSES=STATUS_CLASSES,
    )


STATUS_CLASSES = {
    "proposed": "text-bg-secondary",
    "planned": "text-bg-info",
    "in_progress": "text-bg-primary",
    "done": "text-bg-success",
    "declined": "text-bg-warning",
    "cancelled": "text-bg-dark",
}


def action_labels() -> dict:
    """The labels list rows need, translated once per request instead of once per row."""
    if "action_labels" not in g:
        g.action_labels = {
            "status": {s: str(label) for s, label in STATUS_LABELS.items()},
            "priority": {p: str(label) for p, label in PRIORITY_LABELS.items()},
            "quick_win": _("Quick win"),
            "internal": _("Internal"),
            "overdue": _("Overdue"),
            "progress": _("Progress"),
        }
    return g.action_labels


CHANGE_FIELDS = {
    "created": _l("Created"),
    "title": _l("Title"),
    "description": _l("Description"),
    "owner": _l("Owner"),
    "co_owners": _l("Co-owners"),
    "deadline": _l("Deadline"),
    "priority": _l("Priority"),
    "quick_win": _l("Quick win"),
    "sphere": _l("Sphere of influence"),
    "visibility": _l("Visibility"),
    "public_summary": _l("Public summary"),
    "findings": _l("Findings"),
    "status": _l("Status"),
    "progress": _l("Progress (%)"),
    "result": _l("Result"),
    "decline_constraint": _l("Constraint"),
    "decline_explanation": _l("Public explanation"),
    "cancel_reason": _l("Internal reason"),
    "closed_on": _l("Closed on"),
    "deadline_request": _l("Deadline request"),
    "stuck": _l("Stuck, needs help"),
    # Recorded by the meetings area when the staff meeting decides on the action.
    "staff_meeting": _l("Staff meeting decision"),
}


def change_field(field: str) -> str:
    # Only the one label is translated (a long history asks once per change).
    label = CHANGE_FIELDS.get(field)
    return str(label) if label is not None else field


def change_value(field: str, value: str | None) -> str:
    """A stored history value as the reader understands it."""
    if value is None or value == "":
        return "–"
    enums = {
        "status": (ActionStatus, STATUS_LABELS),
        "priority": (Priority, PRIORITY_LABELS),
        "sphere": (Sphere, SPHERE_LABELS),
        "visibility": (Visibility, VISIBILITY_LABELS),
        "decline_constraint": (DeclineConstraint, CONSTRAINT_LABELS),
    }
    try:
        if field in enums:
            kind, labels = enums[field]
            return str(labels[kind(value)])
        if field in ("quick_win", "stuck"):
            return _("Yes") if value == "true" else _("No")
        if field in ("deadline", "closed_on", "deadline_request"):
            if field == "deadline_request" and not value[:1].isdigit():
                return str(DECISION_LABELS[DeadlineDecision(value)])
            return format_date(date.fromisoformat(value), DAY_PATTERN)
    except (ValueError, KeyError):
        pass
    return value


# --- Loading and permission ---------------------------------------------------------------


def _action_or_404(action_id: int) -> ImprovementAction:
    action = queries.action_for_page(action_id)
    if action is None:
        abort(404)
    return action


def _version(form) -> int | None:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return None


def _update_form(action: ImprovementAction, origin: str = "action") -> UpdateForm:
    form = UpdateForm(prefix=f"u{action.id}")
    form.new_status.choices = [("", _("(unchanged)"))] + [
        (s.value, STATUS_LABELS[s]) for s in services.update_statuses(current_user, action)
    ]
    if not form.is_submitted():
        form.version.data = str(action.version)
        form.percent.data = action.progress
        form.origin.data = origin
    return form


def quick_update_texts() -> dict:
    """The texts of a fresh update form for the `quick_update_form` macro, which writes it
    out (My actions, the action page): made once per language in this process, as they are
    the form's labels and the words around them."""
    return _quick_update_texts(
        str(get_locale()), bool(current_app.config.get("WTF_CSRF_ENABLED", True))
    )


@lru_cache(maxsize=16)
def _quick_update_texts(_locale: str, csrf: bool) -> dict:
    form = UpdateForm(formdata=None, meta={"csrf": False})
    texts = {field.short_name: str(field.label.text) for field in form}
    texts.update(
        stuck_help=str(form.stuck.description),
        result_help=str(form.result.description),
        requested_deadline_help=str(form.requested_deadline.description),
        submit=str(form.submit.label.text),
        unchanged=_("(unchanged)"),
        # The same words as in update_form().
        result_summary=_("Closing the action as done? Describe the result"),
        deadline_summary=_("Need more time? Ask for a new deadline"),
        statuses={status: str(label) for status, label in STATUS_LABELS.items()},
        csrf=csrf,
    )
    return texts


def _status_forms(action: ImprovementAction) -> dict:
    """The director's workflow forms that fit the action's status."""
    if not services.may_manage(current_user, action):
        return {}
    if action.status.is_open:
        form = CancelForm(prefix="cancel")
        if not form.is_submitted():
            form.version.data = str(action.version)
        return {"cancel_form": form}
    form = ReopenForm(prefix="reopen")
    if not form.is_submitted():
        form.version.data = str(action.version)
        form.status.data = (
            ActionStatus.in_progress.value
            if action.status is ActionStatus.done
            else ActionStatus.proposed.value
        )
    return {"reopen_form": form}


def _render_action(action: ImprovementAction, **forms):
    """The action page for people who see everything of it, with forms just sent."""
    return render_template(
        "actions/action.html", action=action, body=Markup(_action_content(action, **forms))
    )


def _action_content(action: ImprovementAction, **forms) -> str:
    if (
        "update_form" not in forms
        and action.status.is_open
        and services.may_update(current_user, action)
    ):
        # A fresh form: written out (quick_update_form) rather than rendered through WTForms.
        forms["quick_update"] = {
            "statuses": services.update_statuses(current_user, action),
            "texts": quick_update_texts(),
        }
    for name, form in _status_forms(action).items():
        forms.setdefault(name, form)
    may_manage = services.may_manage(current_user, action)
    if may_manage:
        forms.setdefault("decision_form", DeadlineDecisionForm(formdata=None))
    return render_template(
        "actions/_action.html",
        action=action,
        today=clock.today(),
        timeline=queries.timeline(action),
        pending_requests=queries.pending_deadline_requests(action.id),
        may_manage=may_manage,
        may_update=services.may_update(current_user, action),
        effects=effects.effects_to_show(action, get_organisation().anonymity_threshold),
        **forms,
    )


def _after_refusal(action_id: int, form, error):
    """After `saving` refused a change: the action as it is now; on a conflict also what the
    others changed, with the form (which keeps the user's input) set to the new version."""
    action = _action_or_404(action_id)
    if isinstance(error, services.ConflictError):
        form.version.data = str(action.version)
        return action, queries.changes_since(action.id, error.seen_version)
    return action, None


# --- My actions and the action page -------------------------------------------------------


@bp.route("/actions/mine")
@login_required
def mine():
    page = request.args.get("page", 1, type=int)
    include_closed = request.args.get("closed") == "1"
    today = clock.today()

    # Kept until anything changes (the day is in the key: it decides what is overdue).
    return kept_page(
        "actions/mine.html",
        ("actions.mine", page, include_closed, today),
        lambda: _mine_content(page, include_closed, today),
    )


def _mine_content(
    page: int, include_closed: bool, today: date, sent: UpdateForm | None = None, **sent_context
) -> str:
    """The content of My actions; `sent`: an update form just refused, shown (with its values
    and errors) at its action instead of a fresh one, the action on the page even when it is
    on another."""
    pagination = queries.my_actions(current_user, page, include_closed)
    sent_action = sent_context.get("sent_action")
    if sent_action is not None and sent_action not in pagination.items:
        pagination.items = [sent_action, *pagination.items]
    # The quick update form of each open action, written out by quick_update_form().
    statuses = {
        action.id: services.update_statuses(current_user, action)
        for action in pagination.items
        if action.status.is_open
    }
    return render_template(
        "actions/_mine.html",
        pagination=pagination,
        statuses=statuses,
        texts=quick_update_texts() if statuses else None,
        include_closed=include_closed,
        today=today,
        departments=queries.user_departments(current_user)
        if current_user.has_role(Role.director)
        else [],
        sent_form=sent,
        requested=queries.pending_requests_by_action(a.id for a in pagination.items),
        **sent_context,
    )


@bp.route("/actions/<int:action_id>", endpoint="action")
@login_required
def show_action(action_id: int):
    action = _action_or_404(action_id)
    if not services.may_view(current_user, action):
        refuse("internal action")
    if not services.may_view_details(current_user, action):
        return render_template("actions/public_action.html", action=action)
    # Kept until anything changes (with fresh forms only; a form sent back with errors is
    # rendered by _render_action).
    return kept_page(
        "actions/action.html",
        ("actions.action", action.id, clock.today()),
        lambda: _action_content(action),
        action=action,
    )


@bp.route("/actions/<int:action_id>/updates", methods=["POST"])
@login_required
def post_update(action_id: int):
    action = _action_or_404(action_id)
    if not services.may_update(current_user, action):
        refuse("not owner of action")
    form = _update_form(action)
    conflict = None
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.post_update(
                current_user,
                action,
                expected_version=_version(form),
                text=form.text.data,
                percent=form.percent.data,
                new_status=ActionStatus(form.new_status.data) if form.new_status.data else None,
                result=form.result.data,
                requested_deadline=form.requested_deadline.data,
                public=form.public.data,
                stuck=form.stuck.data,
            )
        if not outcome.ok:
            action, conflict = _after_refusal(action_id, form, outcome.error)
        else:
            flash(_("Your update is saved."), "success")
            if form.origin.data == "mine":
                return redirect(url_for("actions.mine") + f"#action-{action.id}")
            return redirect(url_for("actions.action", action_id=action.id) + "#history")
    if form.origin.data == "mine" and action.status.is_open:
        # Back on My actions, where it was sent, with what was typed next to its errors.
        body = _mine_content(
            1, False, clock.today(), form, sent_action=action, sent_conflict=conflict
        )
        return render_template("actions/mine.html", body=Markup(body))
    return _render_action(action, update_form=form, conflict=conflict)


# --- Creating and editing -----------------------------------------------------------------


def _person_label(user: User) -> str:
    return user.name if user.active else _("%(name)s (deactivated)", name=user.name)


def _fill_action_form(
    form: ActionForm, department_id: int, action: ImprovementAction | None, extra_finding_ids=()
) -> list:
    staff, others = queries.owner_candidates(department_id)
    owner_choices = {
        None: [(0, _("– choose the owner –"))],
        _("Staff of the department"): [(u.id, u.name) for u in staff],
        _("Other people"): [(u.id, u.name) for u in others],
    }
    if action is not None and not action.owner.active:
        owner_choices[None].append((action.owner.id, _person_label(action.owner)))
    form.owner_id.choices = owner_choices
    co_owner_people = staff + [u for u in others if u.has_role(Role.owner)]
    if action is not None:
        known = {u.id for u in co_owner_people}
        co_owner_people += [u for u in action.co_owners if u.id not in known]
    form.co_owner_ids.choices = [(u.id, _person_label(u)) for u in co_owner_people]
    linked = [f.id for f in action.findings] if action is not None else []
    findings = queries.findings_for_linking(department_id, linked + list(extra_finding_ids))
    form.finding_ids.choices = [
        (
            f.id,
            services.finding_label(f)
            + (f" ({f.question.theme.name})" if f.question and f.question.theme else ""),
        )
        for f in findings
    ]
    return findings


def _action_values(form: ActionForm) -> dict:
    owner = db.session.get(User, form.owner_id.data) if form.owner_id.data else None
    return {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "owner": owner,
        "co_owners": list(queries.users_by_id(form.co_owner_ids.data or []).values()),
        "deadline": form.deadline.data,
        "priority": Priority(form.priority.data),
        "quick_win": form.quick_win.data,
        "sphere": Sphere(form.sphere.data),
        "visibility": Visibility(form.visibility.data),
        "public_summary": form.public_summary.data,
        "findings": queries.findings_by_id(form.finding_ids.data or []),
    }


@bp.route("/departments/<int:department_id>/actions/new", methods=["GET", "POST"])
@login_required
def new_action(department_id: int):
    department = db.session.get(Department, department_id) or abort(404)
    if not services.may_create_in(current_user, department.id):
        refuse("not director of department")
    requested = [n for v in request.args.getlist("finding") if (n := id_or_none(v)) is not None]
    form = ActionForm()
    findings = _fill_action_form(form, department.id, None, requested)
    template = None
    if not form.is_submitted():
        form.finding_ids.data = [f.id for f in findings if f.id in requested]
        template_id = request.args.get("template", type=int)
        template = db.session.get(ActionTemplate, template_id) if template_id else None
        if template is not None:
            form.title.data = template.title
            form.description.data = template.description
            form.quick_win.data = template.quick_win
            form.deadline.data = clock.today() + timedelta(days=template.typical_duration_days)
    if form.validate_on_submit():
        with saving(form) as outcome:
            action = services.create_action(
                current_user, department=department, **_action_values(form)
            )
        if outcome.ok:
            flash(_("The action is created."), "success")
            return redirect(url_for("actions.action", action_id=action.id))
    chosen = set(form.finding_ids.data or [])
    theme_ids = {
        f.question.theme_id
        for f in findings
        if f.id in chosen and f.question and f.question.theme_id
    }
    suggested, other_templates = queries.suggested_templates(theme_ids)
    return render_template(
        "actions/action_form.html",
        form=form,
        department=department,
        action=None,
        suggested=suggested,
        other_templates=other_templates,
        template=template,
        requested=requested,
    )


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
@login_required
def edit_action(action_id: int):
    action = _action_or_404(action_id)
    if not services.may_manage(current_user, action):
        refuse("not director of department")
    form = ActionForm()
    _fill_action_form(form, action.department_id, action)
    if not form.is_submitted():
        form.title.data = action.title
        form.description.data = action.description
        form.owner_id.data = action.owner_id
        form.co_owner_ids.data = [u.id for u in action.co_owners]
        form.deadline.data = action.deadline
        form.priority.data = action.priority.value
        form.quick_win.data = action.quick_win
        form.sphere.data = action.sphere.value
        form.visibility.data = action.visibility.value
        form.public_summary.data = action.public_summary
        form.finding_ids.data = [f.id for f in action.findings]
        form.version.data = str(action.version)
    conflict = None
    if form.validate_on_submit():
        with saving(form) as outcome:
            changes = services.update_action(
                current_user, action, expected_version=_version(form), **_action_values(form)
            )
        if not outcome.ok:
            action, conflict = _after_refusal(action_id, form, outcome.error)
        else:
            if changes:
                flash(_("The action is saved."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("actions.action", action_id=action.id))
    return render_template(
        "actions/action_form.html",
        form=form,
        department=action.department,
        action=action,
        conflict=conflict,
        suggested=[],
        other_templates=[],
        template=None,
        requested=[],
    )


# --- The director's workflow steps --------------------------------------------------------


@bp.route("/actions/<int:action_id>/decline", methods=["GET", "POST"])
@login_required
def decline(action_id: int):
    action = _action_or_404(action_id)
    if not services.may_manage(current_user, action):
        refuse("not director of department")
    form = DeclineForm()
    if not form.is_submitted():
        form.version.data = str(action.version)
        template_id = request.args.get("explanation", type=int)
        template = db.session.get(DeclineTemplate, template_id) if template_id else None
        if template is not None:
            form.constraint.data = template.constraint.value
            form.explanation.data = template.text
    conflict = None
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.decline_action(
                current_user,
                action,
                expected_version=_version(form),
                constraint=DeclineConstraint(form.constraint.data),
                explanation=form.explanation.data,
            )
        if not outcome.ok:
            action, conflict = _after_refusal(action_id, form, outcome.error)
        else:
            flash(_("The action is declined. The explanation is shown with it."), "success")
            return redirect(url_for("actions.action", action_id=action.id))
    return render_template(
        "actions/decline.html",
        action=action,
        form=form,
        conflict=conflict,
        templates=queries.decline_templates(),
    )


def _workflow_step(action_id: int, form_class, prefix: str, run, done_message: str):
    action = _action_or_404(action_id)
    if not services.may_manage(current_user, action):
        refuse("not director of department")
    form = form_class(prefix=prefix)
    conflict = None
    if form.validate_on_submit():
        with saving(form) as outcome:
            run(action, form)
        if not outcome.ok:
            action, conflict = _after_refusal(action_id, form, outcome.error)
        else:
            flash(done_message, "success")
            return redirect(url_for("actions.action", action_id=action.id))
    return _render_action(action, conflict=conflict, **{f"{prefix}_form": form})


@bp.route("/actions/<int:action_id>/cancel", methods=["POST"])
@login_required
def cancel(action_id: int):
    return _workflow_step(
        action_id,
        CancelForm,
        "cancel",
        lambda action, form: services.cancel_action(
            current_user, action, expected_version=_version(form), reason=form.reason.data
        ),
        _("The action is cancelled."),
    )


@bp.route("/actions/<int:action_id>/reopen", methods=["POST"])
@login_required
def reopen(action_id: int):
    return _workflow_step(
        action_id,
        ReopenForm,
        "reopen",
        lambda action, form: services.reopen_action(
            current_user,
            action,
            expected_version=_version(form),
            status=ActionStatus(form.status.data),
            reason=form.reason.data,
        ),
        _("The action is reopened."),
    )


@bp.route("/actions/<int:action_id>/deadline-requests/<int:request_id>", methods=["POST"])
@login_required
def decide_deadline(action_id: int, request_id: int):
    action = _action_or_404(action_id)
    if not services.may_manage(current_user, action):
        refuse("not director of department")
    deadline_request = db.session.get(DeadlineRequest, request_id)
    if deadline_request is None or deadline_request.action_id != action.id:
        abort(404)
    form = DeadlineDecisionForm()
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.decide_deadline_request(
                current_user,
                deadline_request,
                action,
                approve=bool(form.approve.data),
                note=form.note.data,
            )
        if outcome.ok:
            if form.approve.data:
                flash(_("The new deadline is approved."), "success")
            else:
                flash(_("The request for a new deadline is rejected."), "success")
            return redirect(url_for("actions.action", action_id=action.id))
    # Refused: the action page with the note kept and the error at this request's form.
    return _render_action(
        _action_or_404(action_id), decision_form=form, decided_request_id=request_id
    )


# --- Overviews and exports ----------------------------------------------------------------


def _filters(department_ids: list[int] | None, with_department: bool):
    """The filter form from the query string, and the filter it describes."""
    form = FilterForm(formdata=request.args)
    form.status.choices = [
        ("", _("All")),
        (queries.OPEN, _("Open")),
        (queries.CLOSED, _("Closed")),
    ] + [(s.value, STATUS_LABELS[s]) for s in ActionStatus]
    # The choices change only with a commit: kept per data version (the same for everyone
    # who may filter these departments).
    owners = changes.kept(
        ("actions.owner_choices", tuple(department_ids or ()) or None),
        lambda: queries.staff_owner_choices(department_ids),
    )
    form.owner.choices = [("", _("Everyone"))] + [(str(i), name) for i, name in owners]
    form.round.choices = [("", _("All rounds"))] + [
        (str(i), name)
        for i, name in changes.kept(("actions.round_choices",), queries.round_choices)
    ]
    form.theme.choices = [("", _("All themes"))] + [
        (str(i), name)
        for i, name in changes.kept(("actions.theme_choices",), queries.theme_choices)
    ]
    form.department.choices = (
        [("", _("All departments"))]
        + [
            (str(i), name)
            for i, name in changes.kept(("actions.department_choices",), department_choices)
        ]
        if with_department
        else [("", "")]
    )
    if with_department:
        form.sort.choices = [*form.sort.choices, ("department", _("Department"))]
    form.validate()  # values that do not fit are ignored (and shown as errors)

    def value(field):
        return None if field.errors else field.data

    def number(field) -> int | None:
        return id_or_none(value(field))

    if with_department and number(form.department):
        department_ids = [number(form.department)]
    action_filter = ActionFilter(
        department_ids=department_ids,
        status=value(form.status) or None,
        owner_id=number(form.owner),
        overdue=bool(value(form.overdue)),
        due_within_days=value(form.due_within),
        round_id=number(form.round),
        theme_id=number(form.theme),
        quick_win=bool(value(form.quick_win)),
        owner_left=request.args.get("owner_left") == "y",
        sort=form.sort.data if form.sort.data in queries.SORTS else "deadline",
        descending=form.direction.data == "desc",
    )
    return form, action_filter


def _may_see_department(department: Department) -> None:
    if not services.sees_internal(current_user, department.id):
        refuse("not in department")


@bp.route("/departments/<int:department_id>/actions")
@login_required
def department_actions(department_id: int):
    department = db.session.get(Department, department_id) or abort(404)
    _may_see_department(department)
    today = clock.today()
    # Kept until anything changes (per filter, page and day: the day decides what is overdue).
    return kept_page(
        "actions/overview.html",
        ("actions.department_actions", department.id, request.query_string, today),
        lambda: _department_actions_content(department, today),
        department=department,
    )


def _department_actions_content(department: Department, today: date) -> str:
    form, action_filter = _filters([department.id], with_department=False)
    pagination = queries.page_of(
        queries.filtered_actions(action_filter, today), request.args.get("page", 1, type=int)
    )
    may_create = services.may_create_in(current_user, department.id)
    return render_template(
        "actions/_overview.html",
        department=department,
        form=form,
        pagination=pagination,
        counters=queries.counters([department.id], today),
        today=today,
        page_args=list_args(),
        may_create=may_create,
        creatable_departments={department.id} if may_create else set(),
        owner_left=queries.owner_left_counts([department.id]) if may_create else {},
        owner_left_filter=action_filter.owner_left,
    )


@bp.route("/departments/<int:department_id>/actions/export.<any(csv, xlsx):fmt>")
@login_required
def export_department_actions(department_id: int, fmt: str):
    department = db.session.get(Department, department_id) or abort(404)
    _may_see_department(department)
    _form, action_filter = _filters([department.id], with_department=False)
    return _export(action_filter, fmt, f"acties-{department.short_name}")


@bp.route("/actions")
@role_required(Role.director)
def overview():
    today = clock.today()
    return kept_page(
        "actions/overview.html",
        ("actions.overview", request.query_string, today),
        lambda: _overview_content(today),
        department=None,
    )


def _overview_content(today: date) -> str:
    form, action_filter = _filters(None, with_department=True)
    pagination = queries.page_of(
        queries.filtered_actions(action_filter, today),
        request.args.get("page", 1, type=int),
        with_department=True,
    )
    departments = queries.user_departments(current_user)
    return render_template(
        "actions/_overview.html",
        department=None,
        form=form,
        pagination=pagination,
        counters=queries.counters(action_filter.department_ids, today),
        today=today,
        page_args=list_args(),
        may_create=False,
        creatable_departments=services.creatable_departments(
            current_user, {a.department_id for a in pagination.items}
        ),
        departments=departments,
        # Actions of the departments this director manages whose owner left.
        owner_left=queries.owner_left_counts([d.id for d in departments]),
        owner_left_filter=action_filter.owner_left,
    )


@bp.route("/actions/export.<any(csv, xlsx):fmt>")
@role_required(Role.director)
def export_actions(fmt: str):
    _form, action_filter = _filters(None, with_department=True)
    return _export(action_filter, fmt, "acties")


def _export(action_filter: ActionFilter, fmt: str, name: str) -> Response:
    today = clock.today()
    data = queries.export_data(queries.filtered_actions(action_filter, today))
    stamp = today.isoformat()
    if fmt == "csv":
        return Response(
            exports.to_csv(data, today),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'},
        )
    return Response(
        exports.to_xlsx(data, today),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.xlsx"'},
    )


@bp.route("/actions/rollup")
@role_required(Role.director)
def rollup():
    today = clock.today()
    return render_template(
        "actions/rollup.html",
        rows=queries.rollup(today),
        today=today,
        counters=queries.counters(None, today),
    )


# --- Libraries (administrator) ------------------------------------------------------------


@bp.route("/admin/action-templates")
@role_required(Role.admin)
def action_templates():
    return render_template(
        "actions/templates.html",
        action_templates=queries.action_templates(include_inactive=True),
        decline_templates=queries.decline_templates(include_inactive=True),
    )


def _theme_choices(form: ActionTemplateForm) -> None:
    form.theme_id.choices = [(0, _("(any theme)"))] + queries.theme_choices()


@bp.route("/admin/action-templates/new", methods=["GET", "POST"])
@role_required(Role.admin)
def new_action_template():
    return _action_template_page(None)


@bp.route("/admin/action-templates/<int:template_id>", methods=["GET", "POST"])
@role_required(Role.admin)
def edit_action_template(template_id: int):
    return _action_template_page(db.session.get(ActionTemplate, template_id) or abort(404))


def _action_template_page(template: ActionTemplate | None):
    form = ActionTemplateForm(obj=template)
    _theme_choices(form)
    if not form.is_submitted() and template is not None:
        form.theme_id.data = template.theme_id or 0
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.save_action_template(
                current_user,
                template,
                title=form.title.data or "",
                description=form.description.data or "",
                theme=db.session.get(Theme, form.theme_id.data) if form.theme_id.data else None,
                typical_duration_days=form.typical_duration_days.data or 0,
                quick_win=form.quick_win.data,
                active=form.active.data,
            )
        if outcome.ok:
            flash(_("The suggested action is saved."), "success")
            return redirect(url_for("actions.action_templates"))
    return render_template(
        "actions/template_form.html",
        form=form,
        template=template,
        heading=template.title if template else _("New suggested action"),
    )


@bp.route("/admin/decline-templates/new", methods=["GET", "POST"])
@role_required(Role.admin)
def new_decline_template():
    return _decline_template_page(None)


@bp.route("/admin/decline-templates/<int:explanation_id>", methods=["GET", "POST"])
@role_required(Role.admin)
def edit_decline_template(explanation_id: int):
    return _decline_template_page(db.session.get(DeclineTemplate, explanation_id) or abort(404))


def _decline_template_page(template: DeclineTemplate | None):
    form = DeclineTemplateForm(obj=template)
    if not form.is_submitted() and template is not None:
        form.constraint.data = template.constraint.value
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.save_decline_template(
                current_user,
                template,
                constraint=DeclineConstraint(form.constraint.data),
                title=form.title.data or "",
                text=form.text.data or "",
                active=form.active.data,
            )
        if outcome.ok:
            flash(_("The explanation is saved."), "success")
            return redirect(url_for("actions.action_templates"))
    return render_template(
        "actions/template_form.html",
        form=form,
        template=template,
        heading=template.title if template else _("New explanation for declining"),
    )
