"""Every route of the app, for every role, against an explicit table.

A new route without an entry here fails the suite, so nobody adds a page without deciding
who may use it.
"""

import pytest

from tests.factories import make_action, make_department, make_finding, make_user
from tracker.auth.models import Role

ROLES = ["anonymous", "employee", "owner", "other_director", "director", "admin"]
EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
DEPARTMENT_DIRECTOR = {"director", "admin"}
ADMIN = {"admin"}
DIRECTORS = {"other_director", "director", "admin"}

#: endpoint -> roles that may use it. Department routes are about the department that
#: "director" directs and "other_director" does not.
EXPECTED = {
    "static": EVERYONE,
    "bootstrap.static": EVERYONE,
    "dashboard.favicon": EVERYONE,
    "dashboard.home": SIGNED_IN,  # anonymous visitors are sent to the log-in page
    "auth.login": EVERYONE,
    "operations.healthz": EVERYONE,  # for load balancers: no log-in, nothing sensitive
    "operations.readyz": EVERYONE,
    "operations.scheduler_ready": EVERYONE,
    # Limited to the networks in METRICS_ALLOW (the test client is 127.0.0.1).
    "operations.metrics": EVERYONE,
    "auth.logout": SIGNED_IN,
    "auth.language": EVERYONE,
    "auth.account": SIGNED_IN,
    "auth.users": ADMIN,
    "audit.audit_trail": ADMIN,
    "audit.audit_export": ADMIN,
    "auth.new_user": ADMIN,
    "auth.edit_user": ADMIN,
    "auth.deactivate_user": ADMIN,
    "auth.activate_user": ADMIN,
    "auth.group_mapping_list": ADMIN,
    "auth.new_group_mapping": ADMIN,
    "auth.edit_group_mapping": ADMIN,
    "auth.delete_group_mapping": ADMIN,
    # Sign-in through the identity provider: for anyone when configured (test_oidc checks
    # the flow against a real provider); this app has no provider, so they answer 404.
    "auth.oidc_login": EVERYONE,
    "auth.oidc_callback": EVERYONE,
    # People: the HR file import and invitations are the administrator's; asking for a
    # password reset and using a mailed link need no log-in (the link's token is the key).
    "auth.invite_user": ADMIN,
    "provisioning.import_users": ADMIN,
    "provisioning.import_users_preview": ADMIN,  # and only the uploader's own token (test_people)
    "auth.reset_password": EVERYONE,
    "auth.set_password": EVERYONE,
    "organisation.accessibility": EVERYONE,  # the accessibility statement: the law asks it public
    "organisation.privacy": EVERYONE,  # the privacy statement, likewise
    "organisation.departments": SIGNED_IN,
    "organisation.department": SIGNED_IN,
    "organisation.department_staff": DEPARTMENT_DIRECTOR,
    "organisation.new_department": ADMIN,
    "organisation.edit_department": ADMIN,
    "organisation.settings": ADMIN,
    # Survey results: directors import and triage; a department's own staff read its results.
    "surveys.rounds": DIRECTORS,
    "surveys.template": DIRECTORS,
    "surveys.upload": DIRECTORS,
    "surveys.preview": DIRECTORS,  # and only the uploader's own token (tested in test_surveys)
    "surveys.round_page": DIRECTORS,
    "surveys.department_results": DIRECTORS | {"owner"},
    "surveys.triage": DEPARTMENT_DIRECTOR,
    "surveys.question_themes": DEPARTMENT_DIRECTOR,
    "surveys.labels": DIRECTORS,
    "surveys.question_mapping": DIRECTORS,
    # Improvement actions. The action is internal, in ICT, owned by "owner".
    "actions.mine": SIGNED_IN,
    "actions.action": DIRECTORS | {"owner"},  # employees: only public actions (public fields)
    "actions.post_update": DEPARTMENT_DIRECTOR | {"owner"},
    "actions.new_action": DEPARTMENT_DIRECTOR,
    "actions.edit_action": DEPARTMENT_DIRECTOR,
    "actions.decline": DEPARTMENT_DIRECTOR,
    "actions.cancel": DEPARTMENT_DIRECTOR,
    "actions.reopen": DEPARTMENT_DIRECTOR,
    "actions.decide_deadline": DEPARTMENT_DIRECTOR,
    "actions.department_actions": DIRECTORS | {"owner"},
    "actions.export_department_actions": DIRECTORS | {"owner"},
    "actions.overview": DIRECTORS,
    "actions.export_actions": DIRECTORS,
    "actions.rollup": DIRECTORS,
    "actions.action_templates": ADMIN,
    "actions.new_action_template": ADMIN,
    "actions.edit_action_template": ADMIN,
    "actions.new_decline_template": ADMIN,
    "actions.edit_decline_template": ADMIN,
    "surveys.benchmarks": DIRECTORS,
    "surveys.effect_method": SIGNED_IN,
    # "You said, we did": every signed-in user reads (anyone in kiosk mode, tested in
    # test_public); reacting and following need a log-in; directors moderate their own.
    "public.overview": SIGNED_IN,
    "public.department": SIGNED_IN,
    "public.poster": SIGNED_IN,
    "public.feed": SIGNED_IN,
    "public.feed_address": SIGNED_IN,
    "public.renew_feed_address": SIGNED_IN,
    # No log-in (feed readers cannot): the secret token is the key.
    "public.personal_feed": EVERYONE,
    "cocreation.react": SIGNED_IN,
    "cocreation.follow_department": SIGNED_IN,
    "cocreation.unfollow_department": SIGNED_IN,
    "cocreation.follow_action": SIGNED_IN,
    "cocreation.unfollow_action": SIGNED_IN,
    "cocreation.reactions": DEPARTMENT_DIRECTOR,
    "cocreation.moderate": DEPARTMENT_DIRECTOR,
    "cocreation.quote": DEPARTMENT_DIRECTOR,
    # Mail and scheduler: the outbox and the jobs are the administrator's.
    "notifications.outbox": ADMIN,
    "notifications.outbox_message": ADMIN,
    "notifications.retry_message": ADMIN,
    "scheduler.job_list": ADMIN,
    "scheduler.run_job": ADMIN,
    # The one-click link in a reminder: any signed-in user is sent on to the page it names,
    # which decides what they may see (the owner's action here; test_scheduler checks that).
    "notifications.signed_link": SIGNED_IN,
    # Staff meetings. The series is ICT's; "director" manages it, "employee" attends it and
    # "owner" owns an action on its agenda (and sees only that item).
    "meetings.index": SIGNED_IN,
    "meetings.new_series": DIRECTORS,
    "meetings.edit_series": DEPARTMENT_DIRECTOR,
    "meetings.series": DEPARTMENT_DIRECTOR | {"employee"},
    "meetings.meeting": DEPARTMENT_DIRECTOR | {"employee", "owner"},
    "meetings.edit_meeting": DEPARTMENT_DIRECTOR,
    "meetings.cancel_meeting": DEPARTMENT_DIRECTOR,
    "meetings.build_agenda": DEPARTMENT_DIRECTOR,
    "meetings.send_agenda": DEPARTMENT_DIRECTOR,
    "meetings.close_meeting": DEPARTMENT_DIRECTOR,
    "meetings.add_item": DEPARTMENT_DIRECTOR,
    "meetings.remove_item": DEPARTMENT_DIRECTOR,
    "meetings.move_item": DEPARTMENT_DIRECTOR,
    "meetings.run": DEPARTMENT_DIRECTOR,
    "meetings.minutes": DEPARTMENT_DIRECTOR,
    "meetings.record_attendance": DEPARTMENT_DIRECTOR,
    "meetings.publish_minutes": DEPARTMENT_DIRECTOR,
    "meetings.printable": DEPARTMENT_DIRECTOR | {"employee"},
    "meetings.document": DEPARTMENT_DIRECTOR | {"employee"},
    "meetings.invitation": DEPARTMENT_DIRECTOR | {"employee"},
    "meetings.calendar": SIGNED_IN,
    "meetings.rotate_calendar": SIGNED_IN,
    # No log-in (calendar programs cannot): the secret token is the key.
    "meetings.calendar_feed": EVERYONE,
    # Provisioning: the administrator makes and revokes the SCIM clients' tokens.
    "provisioning.scim_tokens": ADMIN,
    "provisioning.revoke_scim_token": ADMIN,
    # The SCIM API opens to a bearer token only (test_scim), never to a session: every
    # role, signed in or not, gets 401 (see BEARER_TOKEN_ONLY below).
    **{
        f"scim.{name}": set()
        for name in (
            "root",
            "not_found",
            "service_provider_config",
            "resource_types",
            "resource_type",
            "schemas",
            "schema",
            "search",
            "users",
            "users_search",
            "user",
            "groups",
            "groups_search",
            "group",
        )
    },
}

#: JSON APIs for machines with a bearer token: no log-in page, a 401 for everyone else.
BEARER_TOKEN_ONLY = {endpoint for endpoint in EXPECTED if endpoint.startswith("scim.")}


#: Routes that exist only when something is configured, which the test app is not.
NOT_CONFIGURED_HERE = {"auth.oidc_login", "auth.oidc_callback"}


def test_every_route_has_an_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - EXPECTED.keys() == set(), "add the new routes to EXPECTED"
    assert EXPECTED.keys() - endpoints == set(), "remove routes that no longer exist"


def _world():
    ict = make_department("ICT")
    other = make_department("P&O")
    users = {
        "employee": make_user(Role.employee, email="employee@example.org"),
        "owner": make_user(Role.owner, email="owner@example.org", staff_of=[ict]),
        "other_director": make_user(Role.director, email="other@example.org", directs=[other]),
        "director": make_user(Role.director, email="director@example.org", directs=[ict]),
        "admin": make_user(Role.admin, email="admin@example.org"),
    }
    finding = make_finding(ict)
    values = {
        "department_id": ict.id,
        "user_id": users["employee"].id,
        "filename": "app.css",
        "round_id": finding.round_id,
        "finding_id": finding.id,
        "token": "no-such-upload",
        "mapping_id": _group_mapping(ict),
        **_actions_world(ict, users, finding),
        **_provisioning_world(),
    }
    values.update(_notifications_world(users, values))
    values.update(_public_world(users, values))
    values.update(_meetings_world(ict, users))
    return users, values


def _group_mapping(ict) -> int:
    from tracker.auth.group_mappings import save_group_mapping
    from tracker.extensions import db

    mapping = save_group_mapping(None, None, group_name="ict-staf", role=Role.owner, department=ict)
    db.session.commit()
    return mapping.id


def _provisioning_world() -> dict:
    from tracker.extensions import db
    from tracker.provisioning import tokens

    token, _secret = tokens.create_token(None, "entra-id")
    db.session.commit()
    return {
        "token_id": token.id,
        "scim_id": "no-such-id",
        "type_id": "User",
        "schema_id": "urn:ietf:params:scim:schemas:core:2.0:User",
        "anything": "x",
    }


def _meetings_world(ict, users) -> dict:
    from datetime import date, time, timedelta

    from tracker.extensions import db
    from tracker.meetings import agenda, services
    from tracker.meetings.models import Meeting, Recurrence

    series = services.save_series(
        users["director"],
        title="Stafoverleg ICT",
        department=ict,
        recurrence=Recurrence.weekly,
        weekday=0,
        starts_on=date.today() + timedelta(days=1),
        start_time=time(10),
        attendees=[users["director"], users["employee"]],
    )
    meeting = db.session.scalar(
        db.select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    )
    agenda.build_agenda(users["director"], meeting)
    feed_token = services.feed_for(users["director"]).token
    db.session.commit()
    return {
        "series_id": series.id,
        "meeting_id": meeting.id,
        "item_id": meeting.items[0].id,
        "number": 1,
        "part": "agenda",
        "direction": "up",
        "feed_token": feed_token,
    }


def _public_world(users, values) -> dict:
    from tracker.cocreation.models import CommentStatus, Reaction, Verdict
    from tracker.extensions import db
    from tracker.surveys.models import SurveyComment

    reaction = Reaction(
        action_id=values["action_id"],
        user_id=users["employee"].id,
        verdict=Verdict.helps,
        comment="Goed idee",
        comment_status=CommentStatus.pending,
    )
    comment = SurveyComment(
        round_id=values["round_id"], department_id=values["department_id"], text="Snel geholpen"
    )
    db.session.add_all([reaction, comment])
    db.session.commit()
    # A fresh scheduler lease, so /readyz/scheduler answers 200.
    from datetime import timedelta

    from tracker.scheduler.models import SchedulerLease
    from tracker.types import utcnow

    db.session.add(
        SchedulerLease(name="scheduler", holder="test", expires_at=utcnow() + timedelta(minutes=5))
    )
    db.session.commit()
    return {"reaction_id": reaction.id, "comment_id": comment.id}


def _notifications_world(users, values) -> dict:
    from tracker.extensions import db
    from tracker.notifications import services
    from tracker.notifications.models import OutboxMessage
    from tracker.notifications.rendering import signed_link

    services.enqueue(
        services.OutgoingMessage(
            key="authorization",
            kind="reminder",
            to_email="owner@example.org",
            to_name="Owner",
            locale="nl",
            subject="Herinnering",
            text="Tekst",
        )
    )
    db.session.commit()
    link = signed_link(f"/actions/{values['action_id']}#h-update", users["owner"].id)
    return {
        "message_id": db.session.scalar(db.select(OutboxMessage.id)),
        "link": link.rsplit("/", 1)[1],
        "job": "agendas",
    }


def _actions_world(ict, users, finding) -> dict:
    from datetime import timedelta

    from tracker.actions import services
    from tracker.actions.models import ActionStatus, DeadlineRequest, DeclineConstraint, Visibility
    from tracker.extensions import db
    from tracker.public.services import news_feed_for

    action = make_action(ict, users["owner"], findings=[finding], visibility=Visibility.internal)
    services.post_update(
        users["owner"],
        action,
        expected_version=action.version,
        text="Meer tijd nodig",
        requested_deadline=action.deadline + timedelta(days=9),
    )
    template = services.save_action_template(None, title="Terugbellen binnen 4 uur")
    explanation = services.save_decline_template(
        None, constraint=DeclineConstraint.budget, title="Budget", text="Geen budget."
    )
    # Reactions and follows exist only on public actions in a public status (others: 404).
    public = make_action(ict, users["owner"], findings=[finding])
    services.change_status(
        users["admin"], public, ActionStatus.planned, expected_version=public.version
    )
    news = news_feed_for(users["employee"])
    db.session.commit()
    return {
        "action_id": action.id,
        "per_endpoint": {
            "cocreation.react": {"action_id": public.id},
            "cocreation.follow_action": {"action_id": public.id},
            "public.personal_feed": {"feed_token": news.token},
        },
        "request_id": db.session.scalar(db.select(DeadlineRequest.id)),
        "template_id": template.id,
        "explanation_id": explanation.id,
        "fmt": "csv",
        "decision": "approve",
        "quote_decision": "quote",
    }


def pytest_generate_tests(metafunc):
    if "endpoint" in metafunc.fixturenames:
        metafunc.parametrize(
            "endpoint, role",
            [pytest.param(e, r, id=f"{e}-{r}") for e in sorted(EXPECTED) for r in ROLES],
        )


def test_route_access(ctx, app, make_client, endpoint, role):
    users, values = _world()
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    arguments = {**values, **values.get("per_endpoint", {}).get(endpoint, {})}
    url = rule.build(
        {k: v for k, v in arguments.items() if k in rule.arguments}, append_unknown=False
    )[1]
    if endpoint == "bootstrap.static":
        url = url.replace("app.css", "css/bootstrap.min.css")
    client = make_client()
    if role != "anonymous":
        assert client.login(users[role].email).status_code == 302
    method = "GET" if "GET" in rule.methods else "POST"
    response = client.get(url) if method == "GET" else client.post(url, {})
    if endpoint in BEARER_TOKEN_ONLY:
        assert response.status_code == 401, f"{method} {url} as {role}: {response.status_code}"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.mimetype == "application/scim+json"
        return
    if endpoint in NOT_CONFIGURED_HERE:
        assert response.status_code == 404, f"{method} {url} as {role}: {response.status_code}"
        return
    allowed = role in EXPECTED[endpoint]
    redirected_to_login = response.status_code == 302 and "/login" in response.headers["Location"]
    if allowed:
        assert response.status_code in (200, 302), (
            f"{method} {url} as {role}: {response.status_code}"
        )
        if endpoint not in ("auth.login", "auth.logout"):
            assert not redirected_to_login, f"{method} {url} as {role} was sent to log in"
    elif role == "anonymous":
        assert redirected_to_login, f"{method} {url} as anonymous: {response.status_code}"
    else:
        assert response.status_code == 403, f"{method} {url} as {role}: {response.status_code}"
