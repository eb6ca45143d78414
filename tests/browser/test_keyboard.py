"""Keyboard only (issue 20 point 2): Tab, Enter and Space through page.keyboard, no mouse:
log in, the skip link, a visible focus ring, and the phone's menu button."""

from playwright.sync_api import expect

from tests.browser.test_a11y_crawl import PHONE, _require_browser
from tracker.extensions import db

_FOCUS_RING = """() => { const s = getComputedStyle(document.activeElement);
  return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 || s.boxShadow !== 'none'; }"""


def _tab_to(page, selector: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def log_in_by_keyboard(page, live_server: str, email: str, password: str) -> None:
    """Log in through the form with Tab, typing and Enter only."""
    page.goto(f"{live_server}/login")
    _tab_to(page, "main input[name=email]")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def test_log_in_skip_link_and_phone_menu_with_the_keyboard_only(ctx, browser, live_server):
    _require_browser()
    from tracker import demo

    demo.load()
    db.session.commit()
    context = browser.new_context(locale="nl-NL", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        # The first Tab reaches the skip link, visible and ringed; Enter moves to the content.
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.matches('.skip-link')")
        expect(page.locator(".skip-link")).to_be_visible()
        assert page.evaluate(_FOCUS_RING)
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main"
        _tab_to(page, "main input[name=email]")
        assert page.evaluate(_FOCUS_RING)
        page.keyboard.type("director@demo.example")
        page.keyboard.press("Tab")
        page.keyboard.type(demo.PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/login" not in url)
        # On a phone the menu is folded; the button opens it with Enter and with Space.
        menu = page.locator("[data-nav=main]")
        expect(menu).to_be_hidden()
        _tab_to(page, ".menu-button")
        assert page.evaluate(_FOCUS_RING)
        page.keyboard.press("Enter")
        expect(menu).to_be_visible()
        assert page.locator(".menu-button").get_attribute("aria-expanded") == "true"
        page.keyboard.press("Space")
        expect(menu).to_be_hidden()
        page.keyboard.press("Space")
        _tab_to(page, "[data-nav-item=actions]")
        page.keyboard.press("Enter")
        page.wait_for_url("**/actions")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    finally:
        context.close()
