"""Every page each role reaches, in Dutch and in English, is valid HTML for the Nu HTML
Checker (vnu.jar, the W3C's checker): browsers and assistive technology then build the page
the same way. The pages come from a crawl of the demo (tests/crawl.py), not from a list."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.crawl import crawl
from tests.programs import nu_html_checker
from tracker.auth.models import User
from tracker.extensions import db
from tracker.organisation.models import Organisation

ROLES = (
    "admin@demo.example",
    "director@demo.example",
    "owner@demo.example",
    "employee@demo.example",
)


def test_every_page_of_every_role_is_valid_html(ctx, app, make_client, tmp_path: Path):
    from tracker import demo

    demo.load()
    files: dict[Path, str] = {}
    for language in ("nl", "en"):
        for email in ROLES:
            db.session.scalar(select(User).where(User.email == email)).locale = language
            db.session.commit()
            client = make_client()
            assert client.login(email, password=demo.PASSWORD).status_code == 302
            for page in crawl(app, client, per_kind=2):
                path = tmp_path / f"{language}-{email.split('@')[0]}-{len(files)}.html"
                path.write_text(page.html, encoding="utf-8")
                files[path] = f"{page.url} ({email}, {language})"
        # And what a visitor without an account sees when the organisation opens the pages.
        db.session.scalar(select(Organisation)).public_without_login = True
        db.session.commit()
        visitor = make_client()
        with visitor.session_transaction() as session:
            session["lang"] = language
        for page in crawl(app, visitor, start="/you-said-we-did"):
            path = tmp_path / f"{language}-visitor-{len(files)}.html"
            path.write_text(page.html, encoding="utf-8")
            files[path] = f"{page.url} (visitor, {language})"
        db.session.scalar(select(Organisation)).public_without_login = False
        db.session.commit()
    assert len(files) >= 60, "the crawl should reach every kind of page"
    errors = nu_html_checker(list(files))
    by_page = [
        f"{files[Path(error['url'].removeprefix('file:'))]}: {error['message']}"
        f" [{error.get('extract', '').strip()[:80]}]"
        for error in errors
    ]
    assert not by_page, "\n".join(by_page[:400])
