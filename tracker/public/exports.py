"""The "we did" news as an Atom 1.0 feed (RFC 4287). Every address in it is on BASE_URL, so
the ids a feed reader keeps are the same whatever host the request came in on."""

from __future__ import annotations

from datetime import datetime, timezone

from feedgen.feed import FeedGenerator
from flask_babel import gettext as _

from tracker.actions.models import ActionStatus, ImprovementAction
from tracker.formatting import xml_text
from tracker.organisation.models import Organisation
from tracker.rendering import absolute_url


def last_change(entries: list[ImprovementAction]) -> datetime | None:
    """When the newest entry changed: the feed's `updated` and the Last-Modified header."""
    moments = [action.updated_at for action in entries if action.updated_at is not None]
    return max(moments).astimezone(timezone.utc).replace(microsecond=0) if moments else None


def atom(
    organisation: Organisation,
    entries: list[ImprovementAction],
    latest_round: dict[int, int],
    locale: str,
    now: datetime,
) -> bytes:
    """The feed of `entries` (newest first). `latest_round`: department id -> the round whose
    page an entry links to."""
    feed_url = absolute_url("public.feed")
    generator = FeedGenerator()
    # The public feed's address is its id, also when it is read through a personal address:
    # it is the same feed.
    generator.id(feed_url)
    generator.title(
        xml_text(_("%(organisation)s: you said, we did", organisation=organisation.name))
    )
    generator.subtitle(_("What the departments did with what colleagues said in the survey."))
    generator.author({"name": xml_text(organisation.name)})
    generator.link(href=absolute_url("public.overview"), rel="alternate", type="text/html")
    generator.link(href=feed_url, rel="self", type="application/atom+xml")
    generator.language(locale)
    generator.updated(last_change(entries) or now.astimezone(timezone.utc).replace(microsecond=0))
    for action in reversed(entries):  # feedgen puts the last added first
        entry = generator.add_entry()
        # The action's own address: stable when its text, status or version changes, so a
        # reader updates the entry instead of showing it twice.
        entry.id(absolute_url("actions.action", action_id=action.id))
        entry.author({"name": xml_text(action.department.name)})
        if action.status is ActionStatus.done:
            title = _(
                "%(department)s did: %(title)s",
                department=action.department.short_name,
                title=action.title,
            )
            text = action.result or action.public_summary or action.title
        else:
            title = _(
                "%(department)s decided not to: %(title)s",
                department=action.department.short_name,
                title=action.title,
            )
            text = action.decline_explanation or action.title
        entry.title(xml_text(title))
        entry.content(xml_text(text), type="text")
        round_id = latest_round.get(action.department_id)
        if round_id is not None:
            entry.link(
                href=absolute_url(
                    "public.department", round_id=round_id, department_id=action.department_id
                ),
                rel="alternate",
                type="text/html",
            )
        else:
            entry.link(href=absolute_url("public.overview"), rel="alternate", type="text/html")
        entry.updated(action.updated_at.astimezone(timezone.utc).replace(microsecond=0))
    return generator.atom_str(pretty=True)
