"""The demo tells one story (issue 15 point 15): an action answers the finding it follows in
the same words, every department has a handful of findings to act on (not every question of
the survey), and the staff meeting discusses actions that exist and decides on its agenda."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker import demo
from tracker.actions.models import ActionChange, ImprovementAction
from tracker.extensions import db
from tracker.meetings.models import AgendaItem
from tracker.organisation.models import Department
from tracker.surveys.models import Finding, FindingKind, SurveyRound, Triage

#: Words every question shares: they say nothing about what the point is.
COMMON = {"afdeling", "medewerkers", "wordt", "wanneer", "mijn", "goede"}


def _key_words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= 5 and w not in COMMON}


def _shares_key_word(question: str, title: str) -> bool:
    """A word of the question (by its first five letters, so "teruggebeld" meets
    "terugbellen" and "denken" meets "meedenken") is in the title."""
    title_words = _key_words(title)
    return any(q[:5] in t for q in _key_words(question) for t in title_words)


def test_the_word_match_can_fail():
    assert _shares_key_word("De afdeling is goed telefonisch bereikbaar", "Bereikbaar per chat")
    assert not _shares_key_word("De afdeling communiceert helder", "Vergaderzalen reserveren")


@pytest.fixture
def demo_world(ctx):
    demo.load()
    db.session.commit()
    return db.session.scalar(select(SurveyRound).order_by(SurveyRound.held_on.desc()))


def test_every_action_answers_its_finding_in_the_same_words(demo_world):
    actions = db.session.scalars(
        select(ImprovementAction).options(
            selectinload(ImprovementAction.findings).joinedload(Finding.question)
        )
    ).all()
    linked = [a for a in actions if a.findings]
    assert len(linked) >= 10, "most actions follow a finding"
    for action in linked:
        for finding in action.findings:
            assert _shares_key_word(finding.question.text, action.title), (
                action.title,
                finding.question.text,
            )


def test_every_department_has_a_handful_of_findings_to_act_on(demo_world):
    for department in db.session.scalars(select(Department)):
        proposed = db.session.scalars(
            select(Finding).where(
                Finding.round_id == demo_world.id,
                Finding.department_id == department.id,
                Finding.proposed.is_(True),
            )
        ).all()
        weak = [f for f in proposed if f.kind is not FindingKind.strength]
        assert 2 <= len(weak) <= 8, (department.short_name, len(weak))
        assert len(proposed) <= 10, (department.short_name, len(proposed))
    # The earlier round was dealt with: only the points its actions answered remain.
    earlier = db.session.scalars(
        select(Finding).where(Finding.round_id != demo_world.id, Finding.proposed.is_(True))
    ).all()
    per_department = Counter(f.department_id for f in earlier)
    assert per_department and max(per_department.values()) <= 8, per_department
    assert all(f.triage is Triage.act for f in earlier)


def test_every_finding_to_act_on_has_its_action(demo_world):
    acted = db.session.scalars(
        select(Finding)
        .where(Finding.round_id == demo_world.id, Finding.triage == Triage.act)
        .options(selectinload(Finding.question))
    ).all()
    assert acted
    with_actions = {
        f.id
        for a in db.session.scalars(
            select(ImprovementAction).options(selectinload(ImprovementAction.findings))
        )
        for f in a.findings
    }
    for finding in acted:
        assert finding.id in with_actions, finding.question.text
    # A declined point says why.
    for finding in db.session.scalars(
        select(Finding).where(Finding.round_id == demo_world.id, Finding.triage == Triage.no_action)
    ):
        assert finding.no_action_reason and len(finding.no_action_reason) > 40


def test_the_meeting_discusses_existing_actions_and_decides_on_its_agenda(demo_world):
    items = db.session.scalars(select(AgendaItem)).all()
    assert items
    action_ids = set(db.session.scalars(select(ImprovementAction.id)))
    for item in items:
        if item.action_id is not None:
            assert item.action_id in action_ids
            assert item.action.title in item.title or item.title in item.action.title
        else:
            # A finding, a free item, or a free item rolled over from the last meeting.
            assert item.section.value in ("finding", "free", "rollover"), item.section
    on_agenda = {(i.meeting_id, i.action_id) for i in items}
    decided = db.session.scalars(select(ActionChange).where(ActionChange.meeting_id.is_not(None)))
    decided = list(decided)
    assert decided
    for change in decided:
        assert (change.meeting_id, change.action_id) in on_agenda
        if change.field == "note" and "meldt volgende week" in (change.new_value or ""):
            owner = db.session.get(ImprovementAction, change.action_id).owner
            assert change.new_value.startswith(owner.name.split()[0])


def test_reactions_are_about_the_action_they_are_given_on(demo_world):
    from tracker.cocreation.models import Reaction

    for reaction in db.session.scalars(
        select(Reaction).where(Reaction.comment.is_not(None)).options(selectinload(Reaction.action))
    ):
        assert _shares_key_word(
            reaction.action.title + " " + (reaction.action.public_summary or ""), reaction.comment
        ), (
            reaction.action.title,
            reaction.comment,
        )


def test_the_demo_director_and_owner_find_a_request_waiting(demo_world, client, make_client):
    from tracker.actions.models import DeadlineDecision, DeadlineRequest

    assert db.session.scalar(
        select(DeadlineRequest).where(DeadlineRequest.decision == DeadlineDecision.pending)
    )
    client.login("director@demo.example", demo.PASSWORD)
    home = client.get("/").get_data(as_text=True)
    requests = home[home.index('data-start="deadline-requests"') :].split("</section>")[0]
    assert "data-deadline-request" in requests
    owner = make_client()
    owner.login("owner@demo.example", demo.PASSWORD)
    assert "wacht op besluit" in owner.get("/actions/mine").get_data(as_text=True)
