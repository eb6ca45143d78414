"""The header shows the signed-in person on every page, also on pages about someone else
(an admin editing or creating another user): no page variable takes the place of `user`."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_department, make_user
from tracker.auth.models import Role


def _header_person(page: str) -> str:
    return re.search(r'href="/account">([^<(]+) \(', page)[1].strip()


@pytest.mark.parametrize(
    "method, path, data",
    [
        ("get", "/admin/users/new", None),
        ("post", "/admin/users/new", {"email": "not-an-address", "name": "Nieuwe Mens"}),
        ("get", "/admin/users/{other}", None),
        ("post", "/admin/users/{other}", {"email": "", "name": "Piet Pieters", "role": "owner"}),
        ("get", "/admin/users", None),
        ("get", "/actions/mine", None),
        ("get", "/", None),
    ],
)
def test_the_header_shows_the_admin_on_pages_about_another_person(ctx, client, method, path, data):
    make_department("ICT", "ICT")
    make_user(Role.admin, email="admin@example.org", name="Anna Beheer")
    other = make_user(Role.owner, email="piet@example.org", name="Piet Pieters")
    client.login("admin@example.org")
    url = path.format(other=other.id)
    response = client.get(url) if method == "get" else client.post(url, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _header_person(page) == "Anna Beheer"
    if "{other}" in path:
        assert "<h1>Piet Pieters</h1>" in page  # the page itself is about the other person
