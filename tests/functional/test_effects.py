"""The effect of an action shows on its page and in the department's results, and nowhere
for groups under the anonymity threshold."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from tests.factories import make_action, make_department, make_finding, make_user
from tracker.actions import services as actions
from tracker.actions.effects import Verdict, action_effects
from tracker.actions.models import ActionStatus
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.organisation.models import Department
from tracker.organisation.services import save_settings
from tracker.surveys.models import SurveyRound

QUESTION = "Ik word teruggebeld zoals beloofd"


def _done_on(action, director, day: date):
    now = datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc)
    for status in (ActionStatus.planned, ActionStatus.in_progress, ActionStatus.done):
        db.session.refresh(action)
        extra = (
            {"result": "Elke melding wordt binnen 4 uur teruggebeld."}
            if status is ActionStatus.done
            else {}
        )
        actions.change_status(
            director, action, status, expected_version=action.version, now=now, **extra
        )
        db.session.commit()
    return action


@pytest.fixture
def world(ctx):
    db.session.add_all(
        [
            SurveyRound(
                name="KTO 2025",
                held_on=date(2025, 3, 1),
                fieldwork_started_on=date(2025, 2, 1),
                label_map={},
            ),
            SurveyRound(
                name="KTO 2026",
                held_on=date(2026, 3, 1),
                fieldwork_started_on=date(2026, 2, 1),
                label_map={},
            ),
        ]
    )
    db.session.commit()
    ict = make_department("Informatievoorziening & ICT", "ICT")
    director = make_user(Role.director, email="dir@example.org", directs=[ict])
    owner = make_user(Role.owner, email="own@example.org", staff_of=[ict])
    before = make_finding(ict, "KTO 2025", score=6.1, sd=1.2, n=40, question_text=QUESTION)
    after = make_finding(ict, "KTO 2026", score=7.2, sd=1.0, n=36, question_text=QUESTION)
    # A question without an action rose by 0.2: the comparison the effect is measured against.
    # 1.1 − 0.2 = 0.9; independent means (no covariances): ±0.68 (tests/unit/test_effects.py).
    make_finding(ict, "KTO 2025", score=6.0, sd=1.0, question_text="De servicedesk is bereikbaar")
    make_finding(ict, "KTO 2026", score=6.2, sd=1.0, question_text="De servicedesk is bereikbaar")
    action = make_action(ict, owner, by=director, title="Terugbelgarantie", findings=[before])
    _done_on(action, director, date(2025, 10, 1))
    return {
        "ict": ict,
        "director": director,
        "owner": owner,
        "action": action,
        "before": before,
        "after": after,
    }


def test_the_action_page_shows_the_effect_with_its_interval_and_verdict(world, client):
    client.login("dir@example.org")
    html = client.get(f"/actions/{world['action'].id}").get_data(as_text=True)
    assert "Heeft het geholpen? In KTO 2026, bij" in html and QUESTION in html
    assert 'data-verdict="improved"' in html and "beter dan de rest van de afdeling" in html
    # The figures behind "Hoe berekend?".
    disclosure = html.split("<summary>Hoe berekend?</summary>")[1].split("</details>")[0]
    assert "Deze vraag van KTO 2025 naar KTO 2026: +1,1." in disclosure
    assert "De andere vraag van de afdeling zonder actie steeg +0,2." in disclosure
    assert "Verschil met de rest van de afdeling: +0,9 (±0,7)." in disclosure
    assert "95%-interval +0,2 tot +1,6." in disclosure
    assert 'data-method="independent"' in disclosure and "alleen de gemiddelden" in disclosure
    assert "/surveys/effect-method" in html
    client.post("/language", {"language": "en"})
    english = client.get(f"/actions/{world['action'].id}").get_data(as_text=True)
    assert "better than the rest of the department" in english
    assert "other question without an action rose by +0.2." in english


def test_a_general_rise_alone_is_no_more_change_than_the_rest(world, client):
    # Every question rose by 0.2 and so did the acted one: before, this was "improved".
    after = world["after"]
    after.score = 6.3
    db.session.commit()
    client.login("dir@example.org")
    html = client.get(f"/actions/{world['action'].id}").get_data(as_text=True)
    assert 'data-verdict="no_clear_change"' in html
    assert "niet meer veranderd dan de rest" in html


def test_the_department_page_lists_the_effects_of_its_actions(world, client):
    client.login("dir@example.org")
    round_2026 = world["after"].round_id
    html = client.get(f"/surveys/{round_2026}/departments/{world['ict'].id}").get_data(as_text=True)
    section = html.split("data-effects", 1)[1].split("</section>", 1)[0]
    assert "Terugbelgarantie" in section
    assert "KTO 2025 → KTO 2026" in section
    assert "+0,9 (±0,7)" in section and "Deze vraag: +1,1." in section


def test_the_explanation_page_in_both_languages(world, client):
    client.login("own@example.org")
    dutch = client.get("/surveys/effect-method").get_data(as_text=True)
    assert "Zo meten we het effect" in dutch and "Vergeleken met de rest van de afdeling" in dutch
    client.post("/language", {"language": "en"})
    english = client.get("/surveys/effect-method").get_data(as_text=True)
    assert "How the effect is measured" in english


@pytest.mark.parametrize("change", ["suppressed", "threshold"])
def test_nothing_under_the_anonymity_threshold(world, client, change):
    if change == "suppressed":
        after = world["after"]
        after.score, after.sd, after.n, after.suppressed = None, None, 3, True
    else:
        # The 2026 group had 36 answers.
        save_settings(
            None,
            name="Gemeente Zuiderveen",
            default_locale="nl",
            anonymity_threshold=37,
            timezone="Europe/Amsterdam",
        )
    db.session.commit()
    client.login("dir@example.org")
    html = client.get(f"/actions/{world['action'].id}").get_data(as_text=True)
    # No figures, only why nothing can be said.
    assert 'data-verdict="too_few_answers"' in html
    assert "nog niet te zeggen: te weinig antwoorden" in html
    assert "+0,9" not in html and "+1,1" not in html and "Hoe berekend?" not in html
    html = client.get(f"/surveys/{world['after'].round_id}/departments/{world['ict'].id}").get_data(
        as_text=True
    )
    assert "+0,9" not in html and "+1,1" not in html


def test_an_action_done_after_the_fieldwork_began_is_too_late(world, client):
    late = make_action(
        world["ict"], world["owner"], by=world["director"], title="Laat", findings=[world["before"]]
    )
    _done_on(late, world["director"], date(2026, 2, 10))
    client.login("dir@example.org")
    html = client.get(f"/actions/{late.id}").get_data(as_text=True)
    assert 'data-verdict="too_late"' in html
    assert "nog niet te zeggen: te laat gedaan voor deze ronde" in html
    assert "+0,9" not in html


def test_other_questions_leave_out_the_ones_with_an_action(world):
    # Once the other question has an action as well, there is nothing left to compare with.
    other = db.session.scalar(select(SurveyRound).where(SurveyRound.name == "KTO 2025"))
    from tracker.surveys.models import Finding

    servicedesk = db.session.scalar(
        select(Finding).where(Finding.round_id == other.id, Finding.score == 6.0)
    )
    make_action(world["ict"], world["owner"], by=world["director"], findings=[servicedesk])
    (effect,) = action_effects([world["action"]], threshold=5)[world["action"].id]
    assert effect.verdict is Verdict.no_comparison
    assert effect.estimate is None


def test_you_said_we_did_shows_the_effect_of_a_public_action(world, client):
    from tracker.actions.models import Visibility
    from tracker.surveys.models import RoundParticipation, Triage

    before = world["before"]
    before.triage = Triage.act
    for finding in (before, world["after"]):
        db.session.add(
            RoundParticipation(
                round_id=finding.round_id, department_id=world["ict"].id, respondents=40
            )
        )
    db.session.commit()
    assert world["action"].visibility is Visibility.public
    client.login("own@example.org")
    html = client.get(f"/you-said-we-did/{before.round_id}/{world['ict'].id}").get_data(
        as_text=True
    )
    # A plain verdict for employees; the figures behind "Hoe berekend?".
    assert 'data-effect="improved"' in html
    assert "Heeft het geholpen? In KTO 2026, bij" in html
    assert "beter dan de rest van de afdeling" in html
    disclosure = html.split("<summary>Hoe berekend?</summary>")[1].split("</details>")[0]
    assert "+0,9 (±0,7)" in disclosure and "steeg +0,2" in disclosure
    # Under the anonymity threshold the effect is not shown.
    save_settings(
        None,
        name="Gemeente",
        default_locale="nl",
        anonymity_threshold=50,
        timezone="Europe/Amsterdam",
    )
    db.session.commit()
    html = client.get(f"/you-said-we-did/{before.round_id}/{world['ict'].id}").get_data(
        as_text=True
    )
    assert "nog niet te zeggen: te weinig antwoorden" in html
    assert "+0,9" not in html and "Hoe berekend?" not in html


def test_the_demo_shows_actions_that_helped_did_not_and_came_too_late(ctx, client):
    from tracker import demo
    from tracker.actions.models import ImprovementAction

    demo.load()
    db.session.commit()
    client.login("director@demo.example", "tracker-demo")
    verdicts = {}
    for title in (
        "Elke e-mail binnen twee werkdagen beantwoorden",
        "Tijdig informeren over veranderingen: wijzigingskalender op intranet",
        "Vaste beantwoordingstermijn voor e-mail aan Financiën",
        "Vragen sneller opgepakt: meldingen aan Facilitaire Zaken via één formulier",
        "Op de hoogte van de voortgang: tussenbericht bij adviezen die langer duren dan een week",
        "Terugbelafspraak in het inkoopsysteem",
        "Ons aanbod duidelijk: inkoopwijzer op intranet",
    ):
        action = db.session.scalar(
            select(ImprovementAction).where(ImprovementAction.title == title)
        )
        html = client.get(f"/actions/{action.id}").get_data(as_text=True)
        verdicts[title] = re.findall(r'data-verdict="(\w+)"', html)
    assert sorted(v for found in verdicts.values() for v in found) == [
        "improved",
        "improved",
        "improved",
        "no_clear_change",
        "no_clear_change",
        "no_clear_change",
        "too_late",
    ]
    # Inkoop: every score rose; the action that did nothing rose with the rest and is not
    # credited, the one that worked is, both measured from the respondents' own answers.
    assert verdicts["Terugbelafspraak in het inkoopsysteem"] == ["improved"]
    assert verdicts["Ons aanbod duidelijk: inkoopwijzer op intranet"] == ["no_clear_change"]
    nothing = db.session.scalar(
        select(ImprovementAction).where(
            ImprovementAction.title == "Ons aanbod duidelijk: inkoopwijzer op intranet"
        )
    )
    html = client.get(f"/actions/{nothing.id}").get_data(as_text=True)
    assert "De 18 andere vragen van de afdeling zonder actie stegen gemiddeld +0,6." in html
    assert (
        "Deze vraag van Intern klantonderzoek 2025 naar Intern klantonderzoek 2026: +0,6." in html
    )
    assert 'data-method="paired"' in html
    # "You said, we did" shows the effect of these public actions too.
    ict = db.session.scalar(select(Department).where(Department.short_name == "ICT"))
    first = db.session.scalar(select(SurveyRound).order_by(SurveyRound.held_on).limit(1))
    public = client.get(f"/you-said-we-did/{first.id}/{ict.id}").get_data(as_text=True)
    assert public.count('data-effect="improved"') == 2


def test_the_results_page_ranks_the_actions_by_their_effect(world, client):
    # A second action whose question rose far more; one done too late comes last.
    for round_name, score in (("KTO 2025", 6.0), ("KTO 2026", 6.1)):
        make_finding(world["ict"], round_name, score=score, sd=1.0, question_text="Begrip")
    strong_before = make_finding(
        world["ict"], "KTO 2025", score=5.0, sd=1.0, question_text="Snel opgelost"
    )
    make_finding(world["ict"], "KTO 2026", score=7.5, sd=1.0, question_text="Snel opgelost")
    strong = make_action(
        world["ict"],
        world["owner"],
        by=world["director"],
        title="Snelle oplossing",
        findings=[strong_before],
    )
    _done_on(strong, world["director"], date(2025, 11, 1))
    late = make_action(
        world["ict"],
        world["owner"],
        by=world["director"],
        title="Laat",
        findings=[world["before"]],
    )
    _done_on(late, world["director"], date(2026, 2, 10))
    client.login("dir@example.org")
    html = client.get(f"/surveys/{world['after'].round_id}/departments/{world['ict'].id}").get_data(
        as_text=True
    )
    section = html.split("data-effects", 1)[1].split("</section>", 1)[0]
    order = re.findall(r'data-effect="(\d+)-\d+"', section)
    assert order == [str(strong.id), str(world["action"].id), str(late.id)]


def test_the_effects_command_prints_every_measured_effect_for_analysts(world, app):
    import json

    late = make_action(
        world["ict"], world["owner"], by=world["director"], title="Laat", findings=[world["before"]]
    )
    _done_on(late, world["director"], date(2026, 2, 10))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["effects", "--json"])
    assert result.exit_code == 0, result.output
    # The late action has no measured effect: only the one row.
    (row,) = json.loads(result.output)
    assert row["department"] == "Informatievoorziening & ICT"
    assert row["action"] == "Terugbelgarantie" and row["question"] == QUESTION
    assert (row["before_round"], row["after_round"]) == ("KTO 2025", "KTO 2026")
    assert row["change"] == pytest.approx(1.1)
    assert row["comparison_change"] == pytest.approx(0.2)
    assert row["difference"] == pytest.approx(0.9)
    assert row["low"] == pytest.approx(0.9 - 0.68478, abs=1e-3)
    assert row["high"] == pytest.approx(0.9 + 0.68478, abs=1e-3)
    assert (row["verdict"], row["method"]) == ("improved", "independent")
    table = runner.invoke(args=["effects", "--round", "KTO 2026"]).output.splitlines()
    assert table[0].split("\t")[:3] == ["department", "action_id", "action"]
    assert len(table) == 2 and "\tKTO 2026\t" in table[1] and "\timproved\t" in table[1]
    assert runner.invoke(args=["effects", "--round", "KTO 2025"]).output.count("\n") == 1
    unknown = runner.invoke(args=["effects", "--round", "KTO 2030"])
    assert unknown.exit_code != 0 and "no survey round named 'KTO 2030'" in unknown.output


def test_without_a_second_round_only_a_done_action_says_it_is_too_early(world, client):
    planned = make_finding(world["ict"], "KTO 2026", score=5.0, sd=1.0, question_text="Nieuw")
    open_action = make_action(
        world["ict"], world["owner"], by=world["director"], title="Open", findings=[planned]
    )
    client.login("dir@example.org")
    html = client.get(f"/actions/{open_action.id}").get_data(as_text=True)
    assert "data-effects" not in html
    _done_on(open_action, world["director"], date(2026, 5, 1))
    html = client.get(f"/actions/{open_action.id}").get_data(as_text=True)
    assert 'data-verdict="no_second_round"' in html
    assert "nog niet te zeggen: nog geen tweede meting" in html
