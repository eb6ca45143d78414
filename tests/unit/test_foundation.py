"""Small rules of the foundation, without HTTP."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import make_user
from tracker.auth.models import Role, User
from tracker.auth.routes import safe_next
from tracker.extensions import db


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/departments/3?tab=staff", "/departments/3?tab=staff"),
        ("http://evil.example/", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("https:/evil.example", None),
        ("/ok\r\nSet-Cookie: x", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_roles_are_ordered():
    assert Role.admin.rank > Role.director.rank > Role.owner.rank > Role.employee.rank


def test_datetimes_come_back_in_utc(ctx):
    user = make_user()
    amsterdam = timezone(timedelta(hours=1))
    user.last_login_at = datetime(2026, 11, 22, 13, 5, tzinfo=amsterdam)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(User, user.id).last_login_at
    assert stored == datetime(2026, 11, 22, 12, 5, tzinfo=timezone.utc)
    assert stored.tzinfo is not None


def test_naive_datetimes_are_refused(ctx):
    user = make_user()
    user.last_login_at = datetime(2026, 11, 22, 13, 5)
    with pytest.raises(Exception, match="naive datetime"):
        db.session.commit()
    db.session.rollback()


def test_password_is_stored_memory_hard(ctx):
    user = make_user(password="a secret of some length")
    assert user.password_hash.startswith("scrypt:")
    assert "a secret" not in user.password_hash


def test_kept_values_last_one_data_version_and_stay_bounded(ctx, monkeypatch):
    from tracker import changes
    from tracker.organisation.models import Directorate

    builds = []

    def build(value):
        builds.append(value)
        return value

    assert changes.kept(("a",), lambda: build("one")) == "one"
    assert changes.kept(("a",), lambda: build("two")) == "one"  # kept
    assert changes.kept(("b",), lambda: build("three")) == "three"  # another key
    db.session.add(Directorate(name="Bedrijfsvoering"))
    db.session.commit()  # a change: the version moves, everything kept is dropped
    assert changes.kept(("a",), lambda: build("four")) == "four"
    assert builds == ["one", "three", "four"]
    monkeypatch.setattr(changes, "MAX_KEPT_CHARS", 10)
    changes.kept(("c",), lambda: "x" * 8)
    changes.kept(("d",), lambda: "y" * 8)  # over the bound: the least recently used goes
    assert changes.kept(("c",), lambda: "again") == "again"
