"""Every public page and the feed, for the demo organisation, shows nothing that must stay
internal: internal actions, internal notes and private updates, names of owners whose
department does not publish them, unapproved comments and reactions."""

import re

from sqlalchemy import select

from tracker.actions.models import (
    ActionChange,
    DeadlineRequest,
    ImprovementAction,
    ProgressUpdate,
    Visibility,
)
from tracker.cocreation.models import CommentStatus, Reaction
from tracker.extensions import db
from tracker.organisation.models import Department, Organisation
from tracker.surveys.models import SurveyComment


def _texts(query):
    return {t for t in db.session.scalars(query) if t and len(t) >= 8}


def test_demo_public_pages_leak_nothing_internal(ctx, client):
    from tracker import demo

    demo.load()
    db.session.scalar(
        select(Organisation)
    ).public_without_login = True  # crawl without a name in the nav
    db.session.commit()

    shown_publicly = _texts(select(ProgressUpdate.text).where(ProgressUpdate.public.is_(True)))
    forbidden = (
        _texts(
            select(ImprovementAction.title).where(
                ImprovementAction.visibility == Visibility.internal
            )
        )
        | _texts(select(ImprovementAction.cancel_reason))
        | (
            _texts(select(ProgressUpdate.text).where(ProgressUpdate.public.is_(False)))
            - shown_publicly
        )
        | _texts(select(DeadlineRequest.reason))
        | _texts(select(DeadlineRequest.decision_note))
        | _texts(select(ActionChange.note))
        | _texts(select(Reaction.comment).where(Reaction.comment_status != CommentStatus.approved))
    )
    publishing = {d.id for d in db.session.scalars(select(Department)) if d.publish_owner_names}
    owners = {a.owner.name: a.department_id for a in db.session.scalars(select(ImprovementAction))}
    published_names = {name for name, dept in owners.items() if dept in publishing}
    forbidden |= {name for name in owners if name not in published_names}
    assert len(forbidden) >= 8, "the demo should have internal material to hide"

    pages = {"/you-said-we-did": client.get("/you-said-we-did").get_data(as_text=True)}
    for href in sorted(
        set(re.findall(r'href="(/you-said-we-did/\d+/\d+)"', pages["/you-said-we-did"]))
    ):
        pages[href] = client.get(href).get_data(as_text=True)
        pages[href + "/poster"] = client.get(href + "/poster").get_data(as_text=True)
        round_id, department_id = map(int, href.rsplit("/", 2)[1:])
        approved = _texts(
            select(SurveyComment.text).where(
                SurveyComment.round_id == round_id,
                SurveyComment.department_id == department_id,
                SurveyComment.approved.is_(True),
            )
        )
        unapproved = (
            _texts(
                select(SurveyComment.text).where(
                    SurveyComment.round_id == round_id,
                    SurveyComment.department_id == department_id,
                    SurveyComment.approved.is_(False),
                )
            )
            - approved
        )
        for text in unapproved:
            assert text not in pages[href], f"unapproved comment on {href}: {text}"
    pages["feed"] = client.get("/you-said-we-did/feed.atom").get_data(as_text=True)
    assert len(pages) >= 10
    from markupsafe import escape

    for where, html in pages.items():
        for text in forbidden:
            assert text not in html and str(escape(text)) not in html, f"{where} shows {text!r}"
    # And the public material is really there.
    assert any("Wij bellen elke melding binnen 4 werkuren terug" in html for html in pages.values())


STATISTICS = ("welch", "p-waarde", "p-value", "betrouwbaarheidsinterval", "confidence interval")


def test_employees_read_no_statistics_outside_how_is_this_calculated(ctx, make_client):
    from tracker import demo

    demo.load()
    db.session.commit()
    disclosures = 0
    for email, language in (("employee@demo.example", "nl"), ("employee@demo.example", "en")):
        client = make_client()
        client.login(email, "tracker-demo")
        client.post("/language", {"language": language, "next": "/"})
        overview = client.get("/you-said-we-did").get_data(as_text=True)
        pages = [overview, client.get("/you-said-we-did/feed.atom").get_data(as_text=True)]
        for href in sorted(set(re.findall(r'href="(/you-said-we-did/\d+/\d+)"', overview))):
            pages += [
                client.get(href).get_data(as_text=True),
                client.get(href + "/poster").get_data(as_text=True),
            ]
        for html in pages:
            parts = re.split(r'<details class="how-calculated">.*?</details>', html, flags=re.S)
            disclosures += len(parts) - 1
            outside = " ".join(parts).lower()
            for word in STATISTICS:
                assert word not in outside, (language, word)
    # The figures are there, behind the disclosure, in both languages.
    assert disclosures >= 4


def test_the_demo_overviews_figures_are_what_each_department_page_lists(ctx, client):
    from tests.functional.test_public_totals import _page_lists
    from tracker import demo

    demo.load()
    db.session.commit()
    client.login("employee@demo.example", "tracker-demo")
    overview = client.get("/you-said-we-did").get_data(as_text=True)
    rows = re.findall(
        r'<th scope="row"><a href="(/you-said-we-did/\d+/\d+)">[^<]*</a></th>(.*?)</tr>',
        overview,
        re.S,
    )
    assert len(rows) >= 10
    own_initiatives = 0
    for href, cells in rows:
        points, done, in_progress, planned, declined, _on_time = re.findall(
            r'<td class="text-end">(.*?)</td>', cells
        )
        page = client.get(href).get_data(as_text=True)
        figures = {"points": int(points), "done": int(done), "in_progress": int(in_progress)}
        figures |= {"planned": int(planned), "declined": int(declined)}
        assert figures == _page_lists(page), href
        own_initiatives += page.count('<h2 id="h-own">')
    assert own_initiatives >= 3
