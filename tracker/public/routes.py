""" "You said, we did": overview, department page, poster and feed. Readable by any
logged-in user, or by anyone when the organisation opened them (kiosk mode)."""

from __future__ import annotations

from collections import OrderedDict

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from tracker import changes
from tracker.extensions import db, login_manager
from tracker.notifications.services import recipient_locale
from tracker.organisation.models import Department
from tracker.organisation.queries import get_organisation
from tracker.public import charts, exports, queries, services
from tracker.rendering import absolute_url
from tracker.surveys.models import SurveyRound
from tracker.surveys.queries import latest_rounds
from tracker.types import utcnow

bp = Blueprint("public", __name__, url_prefix="/you-said-we-did")

#: Department pages rendered for anonymous visitors (kiosk mode), by ETag. Such a page has
#: nothing personal in it (no CSRF token, no name), so one rendering serves every visitor
#: until something on it changes, which changes the ETag. Per process, bounded.
_rendered: OrderedDict[str, bytes] = OrderedDict()
MAX_RENDERED = 256


def _readable():
    """None when the visitor may read; otherwise the response that sends them to log in."""
    if current_user.is_authenticated or changes.remembered(
        "organisation.public_without_login", lambda: get_organisation().public_without_login
    ):
        return None
    return login_manager.unauthorized()


@bp.route("")
def overview():
    refusal = _readable()
    if refusal is not None:
        return refusal
    # The same for every reader: rendered once per data version and language.
    rounds_html = changes.kept(
        ("public.overview", str(get_locale()), request.script_root),
        lambda: Markup(render_template("public/_overview_rounds.html", rounds=queries.overview())),
    )
    return render_template("public/overview.html", rounds_html=rounds_html)


def _round_and_department(round_id: int, department_id: int):
    round_ = db.session.get(SurveyRound, round_id) or abort(404)
    department = db.session.get(Department, department_id) or abort(404)
    return round_, department


def _etag() -> str:
    """The page's version: any commit anywhere moves it (tracker.changes), and it differs
    per language, per reader and per address. Costs no query."""
    return queries.fingerprint(
        changes.current(),
        str(get_locale()),
        current_user.get_id() if current_user.is_authenticated else None,
        request.full_path,
    )


@bp.route("/<int:round_id>/<int:department_id>")
def department(round_id: int, department_id: int):
    etag = _etag()
    shareable = not current_user.is_authenticated and "_flashes" not in session
    # Only pages that could be shown are kept, and the data version moves when who may read
    # changes, so a kept page may be served before any other check.
    if shareable and etag in _rendered:
        if request.if_none_match.contains(etag):
            return _not_modified(etag)
        return _page_response(_rendered[etag], etag)
    refusal = _readable()
    if refusal is not None:
        return refusal
    round_, department_ = _round_and_department(round_id, department_id)
    if request.if_none_match.contains(etag):
        return _not_modified(etag)
    organisation = get_organisation()
    page = queries.department_page(
        round_,
        department_,
        organisation,
        current_user.id if current_user.is_authenticated else None,
    )
    chart = (
        charts.theme_chart(
            _("Scores of %(department)s per theme", department=department_.name),
            _(
                "Average score per theme on a scale of 1 to 10 in %(round)s, with the previous "
                "round and the benchmark. The same figures are in the table next to the chart.",
                round=round_.name,
            ),
            charts.Legend(_("This round"), _("Previous round"), _("Benchmark")),
            [charts.ThemeBar(t.theme, t.score, t.previous, t.benchmark) for t in page.themes],
        )
        if page.themes
        else None
    )
    body = render_template(
        "public/department.html",
        page=page,
        chart=chart,
        threshold=organisation.anonymity_threshold,
    ).encode()
    if shareable:
        _rendered[etag] = body
        while len(_rendered) > MAX_RENDERED:
            _rendered.popitem(last=False)
    return _page_response(body, etag)


def _not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.set_etag(etag)
    return response


def _page_response(body: bytes, etag: str) -> Response:
    response = make_response(body)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response


@bp.route("/<int:round_id>/<int:department_id>/poster")
def poster(round_id: int, department_id: int):
    """The printable poster: one A4 (or A3) page with the first points and a QR code to the
    department's page. Every address on it is on BASE_URL, whatever host the request came
    in on: the poster hangs on a wall long after the request."""
    refusal = _readable()
    if refusal is not None:
        return refusal
    round_, department_ = _round_and_department(round_id, department_id)
    organisation = get_organisation()
    page = queries.department_page(round_, department_, organisation, None)
    size = request.args.get("size", "A4")
    if size not in ("A4", "A3"):
        size = "A4"
    page_url = absolute_url("public.department", round_id=round_id, department_id=department_id)
    return render_template(
        "public/poster.html",
        page=page,
        poster=queries.poster(page),
        size=size,
        qr=_qr_svg(page_url),
        page_url=page_url,
    )


def _qr_svg(url: str) -> str:
    """A QR code (data URI) so coffee-corner readers can open the page on their phone."""
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


@bp.route("/feed.atom")
def feed():
    """The Atom feed for a browser session, or for anyone in kiosk mode. Feed readers that
    cannot log in use the personal address (`personal_feed`)."""
    refusal = _readable()
    if refusal is not None:
        return refusal
    return _feed_response(str(get_locale()))


@bp.route("/feed/<feed_token>.atom")
def personal_feed(feed_token: str):
    """No log-in: the secret token is the key. It shows what its owner may read on "you
    said, we did" (public actions only), in their language."""
    news = queries.news_feed_by_token(feed_token)
    if news is None or not news.user.active:
        abort(404)
    return _feed_response(recipient_locale(news.user))


def _feed_response(locale: str) -> Response:
    """The feed with an ETag and Last-Modified, so readers that poll get a 304 when nothing
    changed. The ETag moves with any commit (tracker.changes), without a query."""
    etag = queries.fingerprint("feed", changes.current(), locale, current_app.config["BASE_URL"])
    if request.if_none_match.contains(etag):
        return _not_modified(etag)
    with force_locale(locale):
        entries = queries.feed_entries()
        body = exports.atom(get_organisation(), entries, latest_rounds(), locale, utcnow())
    response = Response(body, mimetype="application/atom+xml")
    response.set_etag(etag)
    response.last_modified = exports.last_change(entries)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response.make_conditional(request)


@bp.route("/feed")
@login_required
def feed_address():
    """The page with the person's own feed address, to paste into a feed reader."""
    news = services.news_feed_for(current_user)
    db.session.commit()
    return render_template(
        "public/feed.html",
        feed_url=absolute_url("public.personal_feed", feed_token=news.token),
    )


@bp.route("/feed/renew", methods=["POST"])
@login_required
def renew_feed_address():
    services.renew_news_feed(current_user)
    db.session.commit()
    flash(_("Your feed address is renewed; the old address no longer works."), "success")
    return redirect(url_for("public.feed_address"))
