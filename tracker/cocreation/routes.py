"""Reactions, follows and moderation. Employees must be logged in to react or follow."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.actions.models import ImprovementAction
from tracker.actions.services import is_public
from tracker.auth.forms import ConfirmForm
from tracker.auth.permissions import refuse
from tracker.auth.routes import safe_next
from tracker.cocreation import services
from tracker.cocreation.forms import FollowForm, ReactionForm
from tracker.cocreation.models import CommentStatus, Reaction, Verdict
from tracker.extensions import db
from tracker.forms import saving
from tracker.organisation.models import Department
from tracker.surveys.models import SurveyComment

bp = Blueprint("cocreation", __name__)


def _public_action_or_404(action_id: int) -> ImprovementAction:
    """Reactions and follows exist only on what everyone may read: anything else is not
    found (a forged form writes nothing)."""
    action = db.session.get(ImprovementAction, action_id)
    if action is None or not is_public(action):
        abort(404)
    return action


def _back(default: str):
    return redirect(safe_next(request.form.get("next")) or default)


@bp.route("/actions/<int:action_id>/reaction", methods=["POST"])
@login_required
def react(action_id: int):
    action = _public_action_or_404(action_id)
    form = ReactionForm()
    if not form.validate_on_submit():
        return _reaction_refused(action, form)
    with saving(form) as outcome:
        reaction = services.react(
            current_user, action, Verdict(form.verdict.data), form.comment.data
        )
    if not outcome.ok:
        return _reaction_refused(action, form)
    if reaction.comment_status is CommentStatus.pending:
        flash(_("Thank you. Your comment appears once a director has read it."), "success")
    else:
        flash(_("Thank you for your reaction."), "success")
    return _back(url_for("public.overview"))


def _reaction_refused(action: ImprovementAction, form: ReactionForm):
    """A refused reaction comes back with the action it is about, its error next to the
    field and every typed value (the public page it came from belongs to `public`, which
    nothing imports)."""
    back = safe_next(form.next.data) or url_for("public.overview")
    return render_template("cocreation/reaction.html", action=action, form=form, back=back)


@bp.route("/follow/departments/<int:department_id>", methods=["POST"])
@login_required
def follow_department(department_id: int):
    department = db.session.get(Department, department_id) or abort(404)
    if FollowForm().validate_on_submit():
        services.follow(current_user, department=department)
        db.session.commit()
        flash(
            _("You follow %(name)s: once a month you hear what they did.", name=department.name),
            "success",
        )
    return _back(url_for("public.overview"))


@bp.route("/follow/departments/<int:department_id>/stop", methods=["POST"])
@login_required
def unfollow_department(department_id: int):
    if FollowForm().validate_on_submit():
        services.unfollow(current_user, department_id=department_id)
        db.session.commit()
        flash(_("You no longer follow this department."), "success")
    return _back(url_for("public.overview"))


@bp.route("/follow/actions/<int:action_id>", methods=["POST"])
@login_required
def follow_action(action_id: int):
    action = _public_action_or_404(action_id)
    if FollowForm().validate_on_submit():
        with saving() as outcome:
            services.follow(current_user, action=action)
        if outcome.ok:
            flash(_("You follow this action: you hear when it is done or declined."), "success")
    return _back(url_for("public.overview"))


@bp.route("/follow/actions/<int:action_id>/stop", methods=["POST"])
@login_required
def unfollow_action(action_id: int):
    if FollowForm().validate_on_submit():
        services.unfollow(current_user, action_id=action_id)
        db.session.commit()
        flash(_("You no longer follow this action."), "success")
    return _back(url_for("public.overview"))


@bp.route("/departments/<int:department_id>/reactions")
@login_required
def reactions(department_id: int):
    department = db.session.get(Department, department_id) or abort(404)
    if not services.may_moderate(current_user, department_id):
        refuse("not director of department")
    rows = db.session.scalars(
        select(Reaction)
        .join(ImprovementAction, ImprovementAction.id == Reaction.action_id)
        .where(ImprovementAction.department_id == department_id)
        .options(joinedload(Reaction.action), joinedload(Reaction.user))
        .order_by(Reaction.comment_status != CommentStatus.pending, Reaction.updated_at.desc())
    ).all()
    return render_template(
        "cocreation/reactions.html", department=department, reactions=rows, form=ConfirmForm()
    )


@bp.route("/reactions/<int:reaction_id>/<any(approve, reject):decision>", methods=["POST"])
@login_required
def moderate(reaction_id: int, decision: str):
    reaction = db.session.get(Reaction, reaction_id) or abort(404)
    if not services.may_moderate(current_user, reaction.action.department_id):
        refuse("not director of department")
    if ConfirmForm().validate_on_submit():
        with saving(category="warning") as outcome:
            services.moderate(current_user, reaction, decision == "approve")
        if outcome.ok:
            flash(
                _("The comment is approved and shown.")
                if decision == "approve"
                else _("The comment is not shown."),
                "success",
            )
    return redirect(url_for("cocreation.reactions", department_id=reaction.action.department_id))


@bp.route("/comments/<int:comment_id>/<any(quote, unquote):quote_decision>", methods=["POST"])
@login_required
def quote(comment_id: int, quote_decision: str):
    comment = db.session.get(SurveyComment, comment_id) or abort(404)
    if not services.may_moderate(current_user, comment.department_id):
        refuse("not director of department")
    if ConfirmForm().validate_on_submit():
        services.approve_quote(current_user, comment, quote_decision == "quote")
        db.session.commit()
        flash(
            _("The quote is shown on 'you said, we did'.")
            if quote_decision == "quote"
            else _("The quote is no longer shown."),
            "success",
        )
    return redirect(
        url_for(
            "surveys.department_results",
            round_id=comment.round_id,
            department_id=comment.department_id,
        )
        + f"#comment-{comment.id}"
    )
