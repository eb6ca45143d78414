"""Public holidays and closed days through the pages: the settings page in both languages,
a series that skips or moves, moving a meeting by hand onto a holiday, and the demo."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

import holidays
import pytest
from flask_babel import force_locale, format_date
from sqlalchemy import select

from tests.factories import make_department, make_user
from tracker import clock
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.formatting import DAY_PATTERN
from tracker.meetings import services
from tracker.meetings.models import ClosedDayRule, Meeting, MeetingSeries, Recurrence
from tracker.organisation.closed_days import closed_days
from tracker.organisation.models import Organisation

SETTINGS = {
    "name": "Gemeente Zuiderveen",
    "default_locale": "nl",
    "anonymity_threshold": "5",
    "timezone": "Europe/Amsterdam",
    "finding_below_benchmark": "0,5",
    "finding_dropped": "0,5",
    "finding_lowest_count": "3",
    "finding_strength_above": "0,5",
    "reminder_days_before": "14, 3, 0",
    "escalation_days": "14",
    "holiday_country": "NL",
    "holiday_region": "",
    "closed_days": "",
    "submit": "y",
}


def _next_holiday(language: str = "nl") -> tuple[date, str]:
    """The next Dutch public holiday from Monday to Friday, at least two days ahead."""
    today = clock.today()
    dutch = holidays.country_holidays("NL", years=[today.year, today.year + 1], language=language)
    return next(
        (day, name)
        for day, name in sorted(dutch.items())
        if day > today + timedelta(days=1) and day.weekday() < 5
    )


def _next_weekday(weekday: int) -> date:
    day = clock.today() + timedelta(days=2)
    while day.weekday() != weekday or closed_days().closure(day) is not None:
        day += timedelta(days=1)
    return day


def test_the_settings_page_sets_holidays_and_closed_days_in_dutch_and_english(ctx, client):
    client.login(make_user(Role.admin, email="admin@example.org").email)
    holiday, dutch_name = _next_holiday("nl")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Feestdagen van" in page and "Extra sluitingsdagen" in page
    assert re.search(r'<option selected value="NL">Nederland</option>', page)
    listed = page[page.index("data-closed-days") :]
    assert f'datetime="{holiday.isoformat()}"' in listed and dutch_name in listed

    refused = client.post(
        "/admin/settings", {**SETTINGS, "closed_days": "27-12 – 31-12: kerstsluiting\nkerst"}
    )
    text = refused.get_data(as_text=True)
    assert "Regel 2" in text and "is geen dag of periode" in text
    refused = client.post("/admin/settings", {**SETTINGS, "holiday_region": "Friesland"})
    assert "Dit land heeft overal dezelfde feestdagen" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Organisation)) is None

    heidag = _next_weekday(2)
    saved = client.post(
        "/admin/settings",
        {
            **SETTINGS,
            "closed_days": f"27-12 t/m 31-12: kerstsluiting\n{heidag:%d-%m-%Y}: heidag",
        },
        follow_redirects=True,
    )
    text = saved.get_data(as_text=True)
    assert "De instellingen zijn opgeslagen." in text
    organisation = db.session.scalar(select(Organisation))
    assert organisation.closed_days == f"27-12 – 31-12: kerstsluiting\n{heidag:%d-%m-%Y}: heidag"
    assert (organisation.holiday_country, organisation.holiday_region) == ("NL", None)
    listed = text[text.index("data-closed-days") :]
    with force_locale("nl"):
        assert f"{format_date(heidag, DAY_PATTERN)}</time>: heidag" in listed

    client.post("/language", {"language": "en"})
    english_holiday, english_name = _next_holiday("en_US")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Public holidays of" in page and "Extra closed days" in page
    assert "Closed working days in the coming year" in page
    assert re.search(r'<option selected value="NL">Netherlands</option>', page)
    assert english_name in page[page.index("data-closed-days") :]
    refused = client.post("/admin/settings", {**SETTINGS, "closed_days": "Christmas"})
    assert "is not a day or a period" in refused.get_data(as_text=True)
    client.post("/admin/settings", {**SETTINGS, "holiday_country": "DE", "holiday_region": "by"})
    organisation = db.session.scalar(select(Organisation))
    assert (organisation.holiday_country, organisation.holiday_region) == ("DE", "BY")
    assert organisation.closed_days is None
    # No public holidays at all.
    client.post("/admin/settings", {**SETTINGS, "holiday_country": ""})
    assert db.session.scalar(select(Organisation.holiday_country)) == ""
    assert 'datetime="' not in client.get("/admin/settings").get_data(as_text=True)


def _series_form(ict, director, day, rule):
    return {
        "title": "Stafoverleg ICT",
        "body": f"department:{ict.id}",
        "recurrence": "weekly",
        "weekday": str(day.weekday()),
        "week_of_month": "1",
        "starts_on": day.isoformat(),
        "start_time": "10:00",
        "duration_minutes": "60",
        "location": "Kamer 2.14",
        "online_url": "",
        "attendee_ids": [str(director.id)],
        "agenda_days_before": "3",
        "on_closed_day": rule,
    }


@pytest.mark.parametrize("rule", ["move", "skip"])
def test_a_series_starting_on_a_holiday_moves_or_skips_that_meeting(ctx, client, rule):
    ict = make_department("ICT", "ICT")
    director = make_user(Role.director, email="d@example.org", directs=[ict])
    holiday, name = _next_holiday()
    client.login(director.email)
    assert "Als een overleg op een feestdag of sluitingsdag valt" in client.get(
        "/meetings/series/new"
    ).get_data(as_text=True)
    response = client.post("/meetings/series/new", _series_form(ict, director, holiday, rule))
    assert response.status_code == 302
    series = db.session.scalar(select(MeetingSeries))
    assert series.on_closed_day is ClosedDayRule(rule)
    page = client.get(f"/meetings/series/{series.id}").get_data(as_text=True)
    label = (
        "Verplaatsen naar de volgende werkdag" if rule == "move" else "Het overleg laten vervallen"
    )
    assert label in page
    first = db.session.scalar(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    )
    held = clock.local_date(first.starts_at)
    assert held != holiday
    if rule == "skip":
        # The first weekly occurrence that is no holiday (Christmas: New Year is one too).
        expected = holiday + timedelta(days=7)
        while closed_days().closure(expected) is not None:
            expected += timedelta(days=7)
        assert (first.occurrence_on, held) == (expected, expected)
    else:
        assert first.occurrence_on == holiday
        assert held == closed_days().next_working_day(holiday)
        text = client.get(f"/meetings/{first.id}").get_data(as_text=True)
        with force_locale("nl"):
            when = format_date(holiday, DAY_PATTERN)
        assert f"Verplaatst van {when}, een feestdag ({name})." in text


def test_moving_a_meeting_by_hand_onto_a_holiday_asks_to_confirm(ctx, client):
    ict = make_department("ICT", "ICT")
    director = make_user(Role.director, email="d@example.org", directs=[ict])
    holiday, name = _next_holiday()
    series = services.save_series(
        director,
        title="Stafoverleg ICT",
        department=ict,
        recurrence=Recurrence.weekly,
        weekday=holiday.weekday(),
        starts_on=holiday + timedelta(days=1),
        start_time=time(10),
        attendees=[director],
    )
    db.session.commit()
    meeting = db.session.scalar(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    )
    before = meeting.starts_at
    client.login(director.email)
    url = f"/meetings/{meeting.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert "Ja, het overleg gaat op deze dag toch door" not in form
    values = {
        "day": holiday.isoformat(),
        "start_time": "14:00",
        "duration_minutes": "60",
        "location": "Raadzaal",
        "online_url": "",
    }
    warned = client.post(url, values)
    text = warned.get_data(as_text=True)
    assert warned.status_code == 200
    assert f"is een feestdag ({name}). Kies een andere dag" in text
    assert "Ja, het overleg gaat op deze dag toch door" in text
    assert db.session.get(Meeting, meeting.id).starts_at == before
    confirmed = client.post(url, {**values, "on_closed_day": "y"})
    assert confirmed.status_code == 302
    moved = db.session.get(Meeting, meeting.id)
    assert clock.local_date(moved.starts_at) == holiday and moved.moved


@pytest.mark.parametrize(
    "now",
    [
        # Thursday before Christmas: the demo meets on Fridays, so Christmas, New Year and
        # Good Friday fall on its days.
        datetime(2026, 12, 17, 9, tzinfo=timezone.utc),
        None,
    ],
)
def test_the_demos_meetings_avoid_public_holidays_and_the_christmas_closure(ctx, client, now):
    from tracker import demo

    demo.load(now=now)
    db.session.commit()
    calendar = closed_days()
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
    assert len(meetings) > 10
    held = [clock.local_date(m.starts_at) for m in meetings]
    assert [day for day in held if calendar.closure(day) is not None] == []
    christmas_to_new_year = [
        day for day in held if (day.month, day.day) >= (12, 25) or (day.month, day.day) == (1, 1)
    ]
    assert christmas_to_new_year == []
    assert all(day.weekday() < 5 for day in held)
    # The demo still has its last meeting with minutes and a coming one with an agenda.
    moment = now or clock.utcnow()
    assert any(m.minutes_published_at and m.starts_at < moment for m in meetings)
    assert any(m.agenda_built_at and m.starts_at > moment for m in meetings)
    if now is not None:
        by_occurrence = {m.occurrence_on: clock.local_date(m.starts_at) for m in meetings}
        assert by_occurrence[date(2027, 1, 1)] == date(2027, 1, 4)
        assert date(2026, 12, 25) not in by_occurrence  # skipped: the closure reaches 1 January
        assert by_occurrence[date(2027, 3, 26)] == date(2027, 3, 30)  # Good Friday, Easter Monday
