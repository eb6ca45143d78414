"""Every route of the app, for every role, against an explicit table.

A new route without an entry here fails the suite, so nobody adds a page without deciding
who may use it.
"""
import pytest

from tests.factories import make_department, make_finding, make_user
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
    "auth.logout": SIGNED_IN,
    "auth.language": EVERYONE,
    "auth.account": SIGNED_IN,
    "auth.users": ADMIN,
    "auth.new_user": ADMIN,
    "auth.edit_user": ADMIN,
    "auth.deactivate_user": ADMIN,
    "auth.activate_user": ADMIN,
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
    "surveys.labels": DIRECTORS,
    "surveys.benchmarks": DIRECTORS,
}


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
    }
    return users, values


def pytest_generate_tests(metafunc):
    if "endpoint" in metafunc.fixturenames:
        metafunc.parametrize(
            "endpoint, role",
            [pytest.param(e, r, id=f"{e}-{r}") for e in sorted(EXPECTED) for r in ROLES],
        )


def test_route_access(ctx, app, make_client, endpoint, role):
    users, values = _world()
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = rule.build({k: v for k, v in values.items() if k in rule.arguments}, append_unknown=False)[1]
    if endpoint == "bootstrap.static":
        url = url.replace("app.css", "css/bootstrap.min.css")
    client = make_client()
    if role != "anonymous":
        assert client.login(users[role].email).status_code == 302
    method = "GET" if "GET" in rule.methods else "POST"
    response = client.get(url) if method == "GET" else client.post(url, {})
    allowed = role in EXPECTED[endpoint]
    redirected_to_login = response.status_code == 302 and "/login" in response.headers["Location"]
    if allowed:
        assert response.status_code in (200, 302), f"{method} {url} as {role}: {response.status_code}"
        if endpoint not in ("auth.login", "auth.logout"):
            assert not redirected_to_login, f"{method} {url} as {role} was sent to log in"
    elif role == "anonymous":
        assert redirected_to_login, f"{method} {url} as anonymous: {response.status_code}"
    else:
        assert response.status_code == 403, f"{method} {url} as {role}: {response.status_code}"
