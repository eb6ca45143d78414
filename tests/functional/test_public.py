""" "You said, we did": what shows, what never shows, reactions, follows, caching."""

import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from tests.factories import make_action, make_department, make_finding, make_user
from tracker.actions import services as actions
from tracker.actions.models import ActionStatus, DeclineConstraint, Visibility
from tracker.auth.models import Role
from tracker.cocreation.models import CommentStatus, Follow, Reaction
from tracker.extensions import db
from tracker.organisation.models import Organisation
from tracker.surveys.models import RoundParticipation, SurveyComment, Triage


def _move(action, director, *statuses, **extra):
    for status in statuses:
        db.session.refresh(action)
        kwargs = (
            extra
            if status in (ActionStatus.done, ActionStatus.declined, ActionStatus.cancelled)
            else {}
        )
        actions.change_status(director, action, status, expected_version=action.version, **kwargs)
        db.session.commit()
    return action


@pytest.fixture
def world(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    director = make_user(
        Role.director, email="dir@example.org", name="Diederik Jansen", directs=[ict]
    )
    owner = make_user(Role.owner, email="own@example.org", name="Olga Visser", staff_of=[ict])
    employee = make_user(Role.employee, email="emp@example.org", name="Emre Yilmaz")
    finding = make_finding(ict, triage=Triage.act)
    db.session.add(
        RoundParticipation(round_id=finding.round_id, department_id=ict.id, respondents=40)
    )
    db.session.commit()
    done = make_action(
        ict, owner, by=director, title="Terugbellen binnen 4 uur", findings=[finding]
    )
    _move(
        done,
        director,
        ActionStatus.planned,
        ActionStatus.in_progress,
        ActionStatus.done,
        result="Elke melding wordt nu binnen 4 werkuren teruggebeld.",
    )
    declined = make_action(
        ict, owner, by=director, title="Servicedesk 24 uur open", findings=[finding]
    )
    _move(
        declined,
        director,
        ActionStatus.declined,
        constraint=DeclineConstraint.budget,
        explanation="Daar is geen budget voor; de chat is wel 's avonds open.",
    )
    internal = make_action(
        ict,
        owner,
        by=director,
        title="GEHEIM intern project",
        findings=[finding],
        visibility=Visibility.internal,
    )
    _move(internal, director, ActionStatus.planned)
    proposed = make_action(
        ict, owner, by=director, title="NOG NIET BESLOTEN voorstel", findings=[finding]
    )
    cancelled = make_action(
        ict, owner, by=director, title="GESTOPT om interne reden", findings=[finding]
    )
    _move(cancelled, director, ActionStatus.cancelled, reason="INTERNE REDEN reorganisatie")
    planned = make_action(
        ict, owner, by=director, title="Verwachtingen publiceren", findings=[finding]
    )
    _move(planned, director, ActionStatus.planned)
    db.session.add_all(
        [
            SurveyComment(
                round_id=finding.round_id,
                department_id=ict.id,
                text="GOEDGEKEURD citaat",
                approved=True,
            ),
            SurveyComment(
                round_id=finding.round_id,
                department_id=ict.id,
                text="NIET GOEDGEKEURD citaat",
                approved=False,
            ),
        ]
    )
    db.session.commit()
    return {
        "ict": ict,
        "director": director,
        "owner": owner,
        "employee": employee,
        "finding": finding,
        "done": done,
        "declined": declined,
        "planned": planned,
        "internal": internal,
        "proposed": proposed,
        "cancelled": cancelled,
    }


def _url(world):
    return f"/you-said-we-did/{world['finding'].round_id}/{world['ict'].id}"


def test_overview_counts_only_public_decided_actions(world, client):
    client.login("emp@example.org")
    html = client.get("/you-said-we-did").get_data(as_text=True)
    row = re.search(r"Informatievoorziening &amp; ICT</a></th>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r'<td class="text-end">(.*?)</td>', row)
    # points, done, in progress, planned, declined, on time
    assert cells == ["1", "1", "0", "1", "1", "100%"]


def test_an_action_on_two_findings_of_a_round_counts_once_in_the_overview(world, client):
    second = make_finding(world["ict"], triage=Triage.act, question_text="Snel geholpen")
    both = make_action(
        world["ict"],
        world["owner"],
        by=world["director"],
        title="Op beide",
        findings=[world["finding"], second],
    )
    _move(both, world["director"], ActionStatus.planned)
    client.login("emp@example.org")
    html = client.get("/you-said-we-did").get_data(as_text=True)
    row = re.search(r"Informatievoorziening &amp; ICT</a></th>(.*?)</tr>", html, re.S).group(1)
    # points, done, in progress, planned, declined, on time
    assert re.findall(r'<td class="text-end">(.*?)</td>', row) == ["2", "1", "0", "2", "1", "100%"]


def test_overview_is_kept_until_anything_changes_and_per_language(
    world, client, make_client, count_queries
):
    make_user(Role.employee, email="en@example.org", name="Emma Smith")
    english = make_client()
    english.login("en@example.org")
    english.post("/language", {"language": "en", "next": "/you-said-we-did"})
    client.login("emp@example.org")
    first = client.get("/you-said-we-did").get_data(as_text=True)
    with count_queries() as kept:
        again = client.get("/you-said-we-did").get_data(as_text=True)
    # The figures are kept per data version: not counted again the second time.
    assert again == first and "Afdelingen in" in first
    assert not any("action_finding" in s or "FROM finding" in s for s in kept.statements)
    # ... and per language.
    assert "Departments in" in english.get("/you-said-we-did").get_data(as_text=True)
    # A change anywhere moves the data version: the next reader gets the new figures.
    _move(world["planned"], world["director"], ActionStatus.in_progress)
    html = client.get("/you-said-we-did").get_data(as_text=True)
    row = re.search(r"Informatievoorziening &amp; ICT</a></th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r'<td class="text-end">(.*?)</td>', row) == ["1", "1", "1", "0", "1", "100%"]


def test_department_page_shows_what_was_done_and_never_what_is_internal(world, client):
    client.login("emp@example.org")
    html = client.get(_url(world)).get_data(as_text=True)
    assert "Elke melding wordt nu binnen 4 werkuren teruggebeld." in html
    assert "Daar is geen budget voor" in html
    assert "Verwachtingen publiceren" in html
    assert "GOEDGEKEURD citaat" in html
    for secret in (
        "GEHEIM",
        "NOG NIET BESLOTEN",
        "GESTOPT",
        "INTERNE REDEN",
        "NIET GOEDGEKEURD",
        "Olga Visser",
    ):
        assert secret not in html, secret


def test_owner_names_only_when_the_department_publishes_them(world, client):
    world["ict"].publish_owner_names = True
    db.session.commit()
    client.login("emp@example.org")
    assert "Contactpersoon: Olga Visser" in client.get(_url(world)).get_data(as_text=True)


def test_small_groups_show_no_score_and_no_quotes(world, client):
    participation = db.session.scalar(select(RoundParticipation))
    participation.respondents = 3
    db.session.commit()
    client.login("emp@example.org")
    html = client.get(_url(world)).get_data(as_text=True)
    assert "GOEDGEKEURD citaat" not in html
    assert "6,1" not in html and "geen score" in html


def test_pages_need_a_login_unless_kiosk_mode(world, client):
    assert client.get(_url(world)).status_code == 302
    db.session.add(Organisation(name="Gemeente", public_without_login=True))
    db.session.commit()
    page = client.get(_url(world))
    assert page.status_code == 200 and "Terugbellen binnen 4 uur" in page.get_data(as_text=True)
    assert client.get("/you-said-we-did").status_code == 200
    assert client.get("/you-said-we-did/feed.atom").status_code == 200
    # Reacting still needs a log-in.
    refused = client.post(f"/actions/{world['planned'].id}/reaction", {"verdict": "helps"})
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert db.session.scalar(select(Reaction)) is None


def test_one_reaction_per_employee_and_comments_wait_for_approval(world, client, make_client):
    client.login("emp@example.org")
    action_id = world["planned"].id
    client.post(f"/actions/{action_id}/reaction", {"verdict": "helps", "comment": "Fijn!"})
    client.post(
        f"/actions/{action_id}/reaction",
        {"verdict": "not_yet", "comment": "<b>Nog niet</b> genoeg"},
    )
    reactions = db.session.scalars(select(Reaction)).all()
    assert len(reactions) == 1
    assert reactions[0].verdict.value == "not_yet"
    assert reactions[0].comment_status is CommentStatus.pending
    other = make_client()
    other.login("own@example.org")
    assert "Nog niet</b>" not in other.get(_url(world)).get_data(as_text=True)
    director = make_client()
    director.login("dir@example.org")
    listing = director.get(f"/departments/{world['ict'].id}/reactions").get_data(as_text=True)
    assert "&lt;b&gt;Nog niet&lt;/b&gt; genoeg" in listing
    director.post(f"/reactions/{reactions[0].id}/approve")
    html = other.get(_url(world)).get_data(as_text=True)
    assert "&lt;b&gt;Nog niet&lt;/b&gt; genoeg" in html
    assert (
        "1 collega&#39;s zeggen dat het nog niet helpt" in html
        or "zeggen dat het nog niet helpt" in html
    )


def test_reacting_to_an_internal_action_is_refused(world, client):
    client.login("emp@example.org")
    client.post(f"/actions/{world['internal'].id}/reaction", {"verdict": "helps"})
    assert db.session.scalar(select(Reaction)) is None


def test_only_the_departments_director_moderates(world, client, make_client):
    client.login("emp@example.org")
    client.post(f"/actions/{world['planned'].id}/reaction", {"verdict": "helps", "comment": "Top"})
    reaction = db.session.scalar(select(Reaction))
    other_department = make_department("Financiën", "FIN")
    make_user(Role.director, email="fin@example.org", directs=[other_department])
    intruder = make_client()
    intruder.login("fin@example.org")
    assert intruder.post(f"/reactions/{reaction.id}/approve").status_code == 403
    assert intruder.get(f"/departments/{world['ict'].id}/reactions").status_code == 403
    assert db.session.get(Reaction, reaction.id).comment_status is CommentStatus.pending


def test_follow_and_unfollow_in_one_click(world, client):
    client.login("emp@example.org")
    client.post(f"/follow/departments/{world['ict'].id}", {"next": _url(world)})
    client.post(f"/follow/actions/{world['planned'].id}", {"next": _url(world)})
    assert len(db.session.scalars(select(Follow)).all()) == 2
    assert "Volg ICT niet meer" in client.get(_url(world)).get_data(as_text=True)
    client.post(f"/follow/departments/{world['ict'].id}/stop")
    client.post(f"/follow/actions/{world['planned'].id}/stop")
    assert db.session.scalars(select(Follow)).all() == []


def test_conditional_requests_get_304_until_something_changes(world, client):
    client.login("emp@example.org")
    first = client.get(_url(world))
    etag = first.headers["ETag"]
    again = client.get(_url(world), headers={"If-None-Match": etag})
    assert again.status_code == 304
    action = world["planned"]
    db.session.refresh(action)
    actions.post_update(
        world["owner"], action, expected_version=action.version, text="Concept klaar", percent=40
    )
    db.session.commit()
    changed = client.get(_url(world), headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_department_page_queries_do_not_grow_with_actions(world, client, count_queries):
    client.login("emp@example.org")
    client.get(_url(world))
    with count_queries() as few:
        client.get(_url(world))
    for number in range(30):
        make_action(
            world["ict"],
            world["owner"],
            by=world["director"],
            findings=[world["finding"]],
            title=f"Extra actie {number}",
        )
    for action in db.session.scalars(
        select(type(world["planned"])).where(type(world["planned"]).title.like("Extra%"))
    ).all():
        _move(action, world["director"], ActionStatus.planned)
    client.get(_url(world))  # settings are read once after commits; compare warm with warm
    with count_queries() as many:
        html = client.get(_url(world)).get_data(as_text=True)
    assert "Extra actie 29" in html
    assert many.count == few.count


def test_feed_is_atom_with_done_and_declined_public_actions(world, client):
    client.login("emp@example.org")
    response = client.get("/you-said-we-did/feed.atom")
    assert response.mimetype == "application/atom+xml"
    tree = ET.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in tree.findall("a:entry", ns)]
    assert any("Terugbellen binnen 4 uur" in t for t in titles)
    assert any("Servicedesk 24 uur open" in t for t in titles)
    assert not any("GEHEIM" in t or "Verwachtingen" in t for t in titles)


def test_poster_prints_the_department_story(world, client):
    client.login("emp@example.org")
    html = client.get(_url(world) + "/poster?size=A3").get_data(as_text=True)
    assert "poster-a3.css" in html and "Terugbellen binnen 4 uur" in html
    assert 'src="data:image/svg+xml' in html and "GEHEIM" not in html


BASE_URL = "https://tracker.gemeente.example/tracker"


def test_poster_and_its_qr_code_point_at_base_url_whatever_the_host_header(
    world, client, app, monkeypatch
):
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL)
    # Kiosk mode: the printer in the coffee corner is not logged in (and the session cookie
    # would not go to another host anyway).
    db.session.add(Organisation(name="Gemeente", public_without_login=True))
    db.session.commit()
    html = client.get(_url(world) + "/poster", headers={"Host": "intern-proxy.local:8080"})
    html = html.get_data(as_text=True)
    page_url = f"{BASE_URL}{_url(world)}"
    assert f'<span class="poster-url">{page_url}</span>' in html
    assert f"QR-code naar de pagina {page_url}" in html
    assert "intern-proxy.local" not in html
    import segno

    from tracker.public.routes import _qr_svg

    assert _qr_svg(page_url) == segno.make(page_url, error="m").svg_data_uri(scale=4, border=2)
    assert f'src="{_qr_svg(page_url)}"' in html
    # No navigation on paper, and the print style sheet for the chosen size.
    assert 'class="poster-nav no-print"' in html and "poster-a4.css" in html


def test_feed_links_use_base_url_whatever_the_host_header(world, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL)
    db.session.add(Organisation(name="Gemeente", public_without_login=True))
    db.session.commit()
    response = client.get("/you-said-we-did/feed.atom", headers={"Host": "intern-proxy.local"})
    body = response.get_data(as_text=True)
    assert "intern-proxy.local" not in body
    tree = ET.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    links = [link.get("href") for link in tree.iter("{http://www.w3.org/2005/Atom}link")]
    ids = [tree.findtext("a:id", namespaces=ns)] + [
        e.findtext("a:id", namespaces=ns) for e in tree.findall("a:entry", ns)
    ]
    assert links and all(link.startswith(BASE_URL + "/") for link in links)
    assert ids[0] == BASE_URL + "/you-said-we-did/feed.atom"
    assert ids[1:] and all(i.startswith(BASE_URL + "/actions/") for i in ids[1:])
    assert f"{BASE_URL}{_url(world)}" in links
    # The same ids through another host: a feed reader never sees an entry twice.
    again = client.get("/you-said-we-did/feed.atom", headers={"Host": "tracker.other.local"})
    assert _atom_ids(again.data) == ids


def _atom_ids(data: bytes) -> list[str]:
    tree = ET.fromstring(data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    return [tree.findtext("a:id", namespaces=ns)] + [
        e.findtext("a:id", namespaces=ns) for e in tree.findall("a:entry", ns)
    ]


def test_feed_is_valid_atom_for_feedparser_with_authors_and_updated(world, client):
    import feedparser

    world["done"].title = "Terugbellen \x0b binnen 4 uur"  # a control character typed in
    db.session.commit()
    client.login("emp@example.org")
    parsed = feedparser.parse(client.get("/you-said-we-did/feed.atom").data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.author and parsed.feed.updated_parsed
    assert {e.author for e in parsed.entries} == {"Informatievoorziening & ICT"}
    assert all(e.updated_parsed and e.id and e.link for e in parsed.entries)
    assert any(e.title.startswith("ICT") and "binnen 4 uur" in e.title for e in parsed.entries)


def test_feed_answers_304_when_nothing_changed(world, client):
    client.login("emp@example.org")
    first = client.get("/you-said-we-did/feed.atom")
    assert first.status_code == 200 and first.headers["ETag"] and first.last_modified
    again = client.get(
        "/you-said-we-did/feed.atom", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and not again.data
    since = client.get(
        "/you-said-we-did/feed.atom",
        headers={"If-Modified-Since": first.headers["Last-Modified"]},
    )
    assert since.status_code == 304
    # A change moves the ETag: the reader gets the new feed.
    world["done"].result = "Nu binnen 2 uur teruggebeld."
    db.session.commit()
    changed = client.get(
        "/you-said-we-did/feed.atom", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert changed.status_code == 200 and "binnen 2 uur" in changed.get_data(as_text=True)


def test_personal_feed_address_works_without_session_until_renewed(world, client, make_client):
    client.login("emp@example.org")
    page = client.get("/you-said-we-did/feed").get_data(as_text=True)
    [address] = re.findall(r'value="(http[^"]+\.atom)"', page)
    path = "/you-said-we-did/feed/" + address.rsplit("/", 1)[-1]
    reader = make_client()  # a feed reader: no session, no kiosk mode
    assert reader.get("/you-said-we-did/feed.atom").status_code == 302  # to log in
    feed = reader.get(path)
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    body = feed.get_data(as_text=True)
    assert "Terugbellen binnen 4 uur" in body and "GEHEIM" not in body
    # In the person's own language, whatever the reader's Accept-Language.
    world["employee"].locale = "en"
    db.session.commit()
    english = reader.get(path, headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "ICT did: Terugbellen" in english and 'xml:lang="en"' in english
    # Renewing revokes the old address at once.
    client.post("/you-said-we-did/feed/renew")
    assert reader.get(path).status_code == 404
    [renewed] = re.findall(
        r'value="(http[^"]+\.atom)"', client.get("/you-said-we-did/feed").get_data(as_text=True)
    )
    assert renewed != address
    assert reader.get("/you-said-we-did/feed/" + renewed.rsplit("/", 1)[-1]).status_code == 200
    # A deactivated person's address stops working.
    world["employee"].active = False
    db.session.commit()
    assert reader.get("/you-said-we-did/feed/" + renewed.rsplit("/", 1)[-1]).status_code == 404
    assert reader.get("/you-said-we-did/feed/not-a-token.atom").status_code == 404


def test_pages_with_a_feed_announce_it(world, client):
    client.login("emp@example.org")
    for url in ("/you-said-we-did", _url(world)):
        html = client.get(url).get_data(as_text=True)
        assert re.search(
            r'<link rel="alternate" type="application/atom\+xml" href="/you-said-we-did/feed.atom"',
            html,
        ), url


def test_director_approves_a_survey_comment_as_quote(world, client, make_client):
    comment = db.session.scalar(select(SurveyComment).where(SurveyComment.approved.is_(False)))
    employee = make_client()
    employee.login("emp@example.org")
    assert "NIET GOEDGEKEURD citaat" not in employee.get(_url(world)).get_data(as_text=True)
    other = make_department("Financiën", "FIN")
    make_user(Role.director, email="fin@example.org", directs=[other])
    intruder = make_client()
    intruder.login("fin@example.org")
    assert intruder.post(f"/comments/{comment.id}/quote").status_code == 403
    client.login("dir@example.org")
    client.post(f"/comments/{comment.id}/quote")
    assert "NIET GOEDGEKEURD citaat" in employee.get(_url(world)).get_data(as_text=True)
    client.post(f"/comments/{comment.id}/unquote")
    assert "NIET GOEDGEKEURD citaat" not in employee.get(_url(world)).get_data(as_text=True)


def test_kiosk_pages_are_rendered_once_until_anything_changes(world, client, count_queries):
    db.session.add(Organisation(name="Gemeente", public_without_login=True))
    db.session.commit()
    url = _url(world)
    first = client.get(url)
    assert first.status_code == 200
    with count_queries() as cached:
        again = client.get(url)
    # Not a single query: the page and the settings it needs are kept until a commit.
    assert again.data == first.data and cached.count == 0
    # A change anywhere moves the stamp: the next visitor gets the new state.
    action = world["planned"]
    db.session.refresh(action)
    actions.post_update(
        world["owner"],
        action,
        expected_version=action.version,
        text="Concept op intranet",
        percent=60,
        public=True,
    )
    db.session.commit()
    fresh = client.get(url).get_data(as_text=True)
    assert "Concept op intranet" in fresh


def test_an_anonymous_kiosk_reader_gets_304_also_for_a_kept_page(world, client):
    db.session.add(Organisation(name="Gemeente", public_without_login=True))
    db.session.commit()
    first = client.get(_url(world))  # rendered and kept for every anonymous reader
    etag = first.headers["ETag"]
    assert first.status_code == 200
    again = client.get(_url(world), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


@pytest.mark.parametrize("which", ["internal", "proposed", "cancelled"])
def test_reacting_to_or_following_an_action_that_is_not_public_is_not_found(world, client, which):
    client.login("emp@example.org")
    action = world[which]
    reacted = client.post(f"/actions/{action.id}/reaction", {"verdict": "helps", "comment": "x"})
    followed = client.post(f"/follow/actions/{action.id}")
    assert reacted.status_code == 404 and followed.status_code == 404
    assert db.session.scalars(select(Reaction)).all() == []
    assert db.session.scalars(select(Follow)).all() == []
    # The form is not offered where the action could be seen either.
    page = client.get(f"/actions/{action.id}").get_data(as_text=True)
    assert f"/actions/{action.id}/reaction" not in page
