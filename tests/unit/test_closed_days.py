"""No staff meetings on public holidays or the organisation's closed days: reading the extra
closed days, and weekly series over Christmas 2026, New Year 2027 and King's Day 2027 that
move to the next working day or skip, as each series is set."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import select

from tests.factories import make_department, make_user
from tracker import clock
from tracker.auth.models import Role
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.meetings import agenda, services
from tracker.meetings.models import ClosedDayRule, Meeting, Recurrence
from tracker.organisation.closed_days import (
    ClosedDays,
    ClosedPeriod,
    check_region,
    closed_days,
    normalise_closed_days,
    parse_closed_days,
)
from tracker.organisation.services import save_settings

#: Before the series below start (local 10 December 2026, and 1 April 2027).
DECEMBER = datetime(2026, 12, 10, 9, tzinfo=timezone.utc)
APRIL = datetime(2027, 4, 1, 9, tzinfo=timezone.utc)
FRIDAY, TUESDAY = 4, 1


# --- Extra closed days as written on the settings page -----------------------------------


def test_closed_days_are_read_in_the_usual_ways_and_kept_in_one_form():
    text = (
        "27-12 t/m 31-12: kerstsluiting\n"
        "\n"
        "2027-05-28\n"
        "7/5/2027 - 8/5/2027 :  heidag   van de  directie\n"
        "24.12\n"
    )
    assert normalise_closed_days(text) == (
        "27-12 – 31-12: kerstsluiting\n"
        "28-05-2027\n"
        "07-05-2027 – 08-05-2027: heidag van de directie\n"
        "24-12"
    )
    christmas_closure, day, _heidag, eve = parse_closed_days(text)
    assert christmas_closure.yearly and christmas_closure.covers(date(2031, 12, 29))
    assert not christmas_closure.covers(date(2031, 12, 26))
    assert day.covers(date(2027, 5, 28)) and not day.covers(date(2028, 5, 28))
    assert eve.covers(date(2026, 12, 24)) and eve.covers(date(2040, 12, 24))
    # Every year, over New Year.
    (winter,) = parse_closed_days("30-12 – 2-1")
    assert winter.covers(date(2027, 1, 2)) and winter.covers(date(2026, 12, 31))
    assert not winter.covers(date(2027, 1, 3))
    assert normalise_closed_days("  \n ") is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("kerstsluiting", 'Regel 1, "kerstsluiting", is geen dag of periode'),
        ("28-12-2026\n31-02-2027", 'Regel 2, "31-02-2027", is geen dag of periode'),
        ("28-12-2026 31-12-2026", "is geen dag of periode"),
        ("28-12-2026 en 29-12-2026", "is geen dag of periode"),
        ("31-12-2026 – 28-12-2026", "de periode eindigt voordat ze begint"),
        ("27-12 – 31-12-2026", "schrijf beide dagen met een jaar, of beide zonder"),
    ],
)
def test_a_line_that_is_no_day_or_period_is_refused_by_its_number(ctx, text, words):
    with pytest.raises(DomainError) as error:
        parse_closed_days(text)
    assert error.value.field == "closed_days"
    assert words in str(error.value.message)


def test_the_country_and_region_must_be_known_to_the_holidays_package(ctx):
    assert check_region("nl", "") == ("NL", None)
    assert check_region("DE", "by") == ("DE", "BY")
    assert check_region("", "BY") == (None, None)
    with pytest.raises(DomainError) as error:
        check_region("NL", "Friesland")
    assert error.value.field == "holiday_region"
    assert "overal dezelfde feestdagen" in str(error.value.message)
    with pytest.raises(DomainError) as error:
        check_region("DE", "Holland")
    assert "BY" in str(error.value.message)
    with pytest.raises(DomainError) as error:
        check_region("XX", None)
    assert error.value.field == "holiday_country"


def test_holiday_names_in_the_users_language():
    dutch = ClosedDays("NL", language="nl")
    english = ClosedDays("NL", language="en")
    assert dutch.closure(date(2027, 4, 27)).name == "Koningsdag"
    assert english.closure(date(2027, 4, 27)).name == "King's Day"
    assert dutch.closure(date(2027, 4, 26)) is None
    # The next working day after Christmas 2026 (Friday): Monday the 28th.
    assert dutch.next_working_day(date(2026, 12, 25)) == date(2026, 12, 28)
    closed = ClosedDays("NL", periods=[ClosedPeriod(date(2000, 12, 27), date(2000, 12, 31), True)])
    assert closed.next_working_day(date(2026, 12, 25)) == date(2027, 1, 4)
    assert ClosedDays(None).closure(date(2026, 12, 25)) is None


# --- Series over Christmas, New Year and King's Day --------------------------------------


def _series(weekday, starts_on, now, rule=ClosedDayRule.move, **overrides):
    ict = make_department()
    director = make_user(Role.director, directs=[ict])
    series = services.save_series(
        director,
        title="Stafoverleg ICT",
        department=ict,
        recurrence=Recurrence.weekly,
        weekday=weekday,
        starts_on=starts_on,
        start_time=time(10),
        attendees=[director],
        on_closed_day=rule,
        now=now,
        **overrides,
    )
    db.session.commit()
    return series


def _held(series, until: date) -> list[tuple[date, date]]:
    """(occurrence, local day held) of the stored meetings up to `until`."""
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    )
    return [
        (m.occurrence_on, clock.local_date(m.starts_at))
        for m in meetings
        if clock.local_date(m.starts_at) <= until
    ]


def test_weekly_on_friday_moves_christmas_and_new_year_to_the_next_working_day(ctx):
    series = _series(FRIDAY, date(2026, 12, 18), DECEMBER)
    assert _held(series, date(2027, 1, 8)) == [
        (date(2026, 12, 18), date(2026, 12, 18)),
        (date(2026, 12, 25), date(2026, 12, 28)),
        (date(2027, 1, 1), date(2027, 1, 4)),
        (date(2027, 1, 8), date(2027, 1, 8)),
    ]
    # Each at its usual time, on the day it is held.
    moved = db.session.scalar(select(Meeting).where(Meeting.occurrence_on == date(2026, 12, 25)))
    assert moved.starts_at.astimezone(clock.zone()).replace(tzinfo=None) == datetime(
        2026, 12, 28, 10
    )
    assert not moved.moved  # by the series' rule, not by hand: it follows the series


def test_weekly_on_friday_set_to_skip_has_no_meeting_at_christmas_and_new_year(ctx):
    series = _series(FRIDAY, date(2026, 12, 18), DECEMBER, ClosedDayRule.skip)
    assert _held(series, date(2027, 1, 8)) == [
        (date(2026, 12, 18), date(2026, 12, 18)),
        (date(2027, 1, 8), date(2027, 1, 8)),
    ]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (ClosedDayRule.move, [date(2027, 4, 20), date(2027, 4, 28), date(2027, 5, 4)]),
        (ClosedDayRule.skip, [date(2027, 4, 20), date(2027, 5, 4)]),
    ],
)
def test_kings_day_is_moved_or_skipped_as_the_series_is_set(ctx, rule, expected):
    series = _series(TUESDAY, date(2027, 4, 20), APRIL, rule)
    assert [held for _occurrence, held in _held(series, date(2027, 5, 4))] == expected


def test_extra_closed_days_are_respected_and_a_move_never_reaches_the_next_meeting(ctx):
    save_settings(
        None,
        name="Gemeente Zuiderveen",
        default_locale="nl",
        anonymity_threshold=5,
        timezone="Europe/Amsterdam",
        closed_days="28-12 – 31-12: kerstsluiting\n12-01-2027: heidag",
    )
    db.session.commit()
    fridays = _series(FRIDAY, date(2026, 12, 18), DECEMBER)
    # Christmas would move past the closure and New Year to Monday 4 January, the day
    # after the next meeting (1 January): skipped. New Year itself moves to the 4th.
    assert _held(fridays, date(2027, 1, 8)) == [
        (date(2026, 12, 18), date(2026, 12, 18)),
        (date(2027, 1, 1), date(2027, 1, 4)),
        (date(2027, 1, 8), date(2027, 1, 8)),
    ]
    tuesdays = _series(TUESDAY, date(2026, 12, 15), DECEMBER)
    assert _held(tuesdays, date(2027, 1, 19)) == [
        (date(2026, 12, 15), date(2026, 12, 15)),
        (date(2026, 12, 22), date(2026, 12, 22)),
        (date(2026, 12, 29), date(2027, 1, 4)),
        (date(2027, 1, 5), date(2027, 1, 5)),
        (date(2027, 1, 12), date(2027, 1, 13)),
        (date(2027, 1, 19), date(2027, 1, 19)),
    ]


def test_coming_meetings_follow_closed_days_added_later_unless_their_agenda_is_built(ctx):
    series = _series(TUESDAY, date(2026, 12, 15), DECEMBER)
    built = db.session.scalar(select(Meeting).where(Meeting.occurrence_on == date(2026, 12, 22)))
    agenda.build_agenda(None, built, now=DECEMBER)
    db.session.commit()
    save_settings(
        None,
        name="Gemeente Zuiderveen",
        default_locale="nl",
        anonymity_threshold=5,
        timezone="Europe/Amsterdam",
        closed_days="22-12-2026\n05-01-2027 t/m 06-01-2027",
    )
    db.session.commit()
    # The scheduler's daily run plans around the new closed days.
    agenda.build_due_agendas(DECEMBER)
    db.session.commit()
    assert _held(series, date(2027, 1, 12)) == [
        (date(2026, 12, 15), date(2026, 12, 15)),
        # Its agenda was built already: it stays (moving it is up to the director).
        (date(2026, 12, 22), date(2026, 12, 22)),
        (date(2026, 12, 29), date(2026, 12, 29)),
        (date(2027, 1, 5), date(2027, 1, 7)),
        (date(2027, 1, 12), date(2027, 1, 12)),
    ]
    moved = db.session.scalar(select(Meeting).where(Meeting.occurrence_on == date(2027, 1, 5)))
    assert moved.sequence == 1


def test_without_public_holidays_christmas_is_a_day_like_any_other(ctx):
    save_settings(
        None,
        name="Gemeente Zuiderveen",
        default_locale="nl",
        anonymity_threshold=5,
        timezone="Europe/Amsterdam",
        holiday_country="",
    )
    db.session.commit()
    assert closed_days().closure(date(2026, 12, 25)) is None
    series = _series(FRIDAY, date(2026, 12, 18), DECEMBER)
    assert [held for _o, held in _held(series, date(2027, 1, 1))] == [
        date(2026, 12, 18),
        date(2026, 12, 25),
        date(2027, 1, 1),
    ]


def test_moving_a_meeting_by_hand_onto_a_holiday_asks_to_confirm(ctx):
    series = _series(TUESDAY, date(2027, 4, 20), APRIL)
    meeting = db.session.scalar(
        select(Meeting).where(
            Meeting.occurrence_on == date(2027, 5, 4), Meeting.series_id == series.id
        )
    )
    values = dict(
        day=date(2027, 4, 27),
        start_time=time(10),
        duration_minutes=60,
        location=None,
        online_url=None,
        now=APRIL,
    )
    with pytest.raises(services.ClosedDayWarning) as warning:
        services.move_meeting(series.chair, meeting, **values)
    assert warning.value.field == "day"
    assert "is een feestdag (Koningsdag)" in str(warning.value.message)
    db.session.rollback()
    assert clock.local_date(db.session.get(Meeting, meeting.id).starts_at) == date(2027, 5, 4)
    services.move_meeting(series.chair, meeting, on_closed_day=True, **values)
    db.session.commit()
    assert clock.local_date(db.session.get(Meeting, meeting.id).starts_at) == date(2027, 4, 27)
