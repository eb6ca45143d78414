"""Every page of the actions area runs the same number of SQL queries with 10 actions as with
1,000 (and with many updates and findings): no query per row."""

import pytest

from bench.generate import bulk_actions, bulk_updates
from tests.factories import make_department, make_finding, make_user
from tracker import changes, clock
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.organisation.services import save_settings
from tracker.surveys.models import Triage


@pytest.fixture
def world(ctx):
    save_settings(
        None,
        name="Gemeente Zuiderveen",
        default_locale="nl",
        anonymity_threshold=5,
        timezone="Europe/Amsterdam",
    )
    ict = make_department("Informatievoorziening & ICT", "ICT")
    hr = make_department("Personeel & Organisatie", "P&O")
    owner = make_user(Role.owner, email="owner@example.org", staff_of=[ict])
    colleague = make_user(Role.owner, email="col@example.org", staff_of=[ict])
    make_user(Role.director, email="dir@example.org", directs=[ict])
    hr_owner = make_user(Role.owner, email="hr@example.org", staff_of=[hr])
    findings = [make_finding(ict, triage=Triage.act, question_text=f"Vraag {n}") for n in range(3)]
    return {
        "ict": ict,
        "hr": hr,
        "owner": owner,
        "colleague": colleague,
        "hr_owner": hr_owner,
        "findings": findings,
    }


def _add_actions(world, count: int) -> list[int]:
    """`count` ICT actions for the owner (each with a co-owner, a finding and updates), and
    as many in another department."""
    today = clock.today()
    ids = bulk_actions(
        department_ids=[world["ict"].id],
        owner_ids=[world["owner"].id],
        count=count,
        today=today,
        findings_by_department={world["ict"].id: [f.id for f in world["findings"]]},
        co_owner_ids=[world["colleague"].id],
    )
    bulk_updates(ids, [world["owner"].id], count * 2)
    bulk_actions(
        department_ids=[world["hr"].id],
        owner_ids=[world["hr_owner"].id],
        count=count,
        today=today,
        seed=7,
    )
    db.session.commit()
    return ids


def _pages(world, first_action: int) -> dict[str, tuple[str, str]]:
    ict = world["ict"].id
    return {
        "department overview": ("dir@example.org", f"/departments/{ict}/actions"),
        "filtered overview": (
            "dir@example.org",
            f"/departments/{ict}/actions?status=open&sort=owner&quick_win=y"
            f"&round={world['findings'][0].round_id}",
        ),
        "all departments": ("dir@example.org", "/actions?sort=department"),
        "roll-up": ("dir@example.org", "/actions/rollup"),
        "my actions": ("owner@example.org", "/actions/mine"),
        "director's start page": ("dir@example.org", "/"),
        "owner's start page": ("owner@example.org", "/"),
        "action page": ("owner@example.org", f"/actions/{first_action}"),
        "edit page": ("dir@example.org", f"/actions/{first_action}/edit"),
        "export": ("dir@example.org", f"/departments/{ict}/actions/export.csv"),
    }


def _measure(make_client, count_queries, pages) -> dict[str, tuple[int, int]]:
    """Queries per page: (right after a change anywhere, so nothing kept per data version is
    reused; the next request, which may reuse it)."""
    counts = {}
    for name, (email, url) in pages.items():
        client = make_client()
        client.login(email)
        assert client.get(url).status_code == 200, name  # warm up: session, caches
        changes.touch()
        with count_queries() as after_change:
            response = client.get(url)
        assert response.status_code == 200, name
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = (after_change.count, counter.count)
    return counts


def test_query_counts_do_not_grow_with_the_number_of_actions(world, make_client, count_queries):
    ids = _add_actions(world, 10)
    # The first action is the one measured on its own page; it gets many more updates later.
    pages = _pages(world, ids[0])
    with_10 = _measure(make_client, count_queries, pages)
    more = _add_actions(world, 990)
    bulk_updates([ids[0]] * 10 + more[:10], [world["owner"].id], 1000, seed=3)
    db.session.commit()
    with_1000 = _measure(make_client, count_queries, pages)
    assert with_1000 == with_10
    # Keep the pages lean, not just constant (the figures are reported in the hand-over).
    assert max(max(pair) for pair in with_10.values()) <= 16, with_10
    assert with_10["director's start page"] == (9, 9), with_10
    assert with_10["owner's start page"] == (6, 6), with_10
    print("queries per page:", with_10)


def test_dashboard_and_results_page_stay_constant_past_a_batch_of_500(
    world, make_client, count_queries
):
    # selectinload fetches related rows 500 parents at a time: a page loading more than 500
    # actions that way would gain a query per 500. 3,600 actions hold over 500 done ones.
    ict, round_id = world["ict"].id, world["findings"][0].round_id
    pages = {
        "dashboard": ("dir@example.org", "/"),
        "department results": ("dir@example.org", f"/surveys/{round_id}/departments/{ict}"),
    }
    _add_actions(world, 10)
    few = _measure(make_client, count_queries, pages)
    _add_actions(world, 3590)
    many = _measure(make_client, count_queries, pages)
    assert many == few
    # The results page is kept per data version and reader: once rendered, the next request
    # only reads the round, the department and who is asking.
    # (19 to build: one reads the themes for the director's theme form.)
    # The start page is never kept: 4 for the reader and their departments, then one each for
    # the deadline requests, comments, findings and overdue actions, and the own actions.
    assert few == {"dashboard": (9, 9), "department results": (19, 4)}, few
