"""Spreadsheet formula injection: every text cell that a spreadsheet would read as a formula
gets a leading apostrophe; other values are left alone."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.factories import make_action, make_department, make_user
from tracker import clock
from tracker.actions import exports, queries
from tracker.actions.queries import ActionFilter
from tracker.auth.models import Role


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+31 6 12345678", "'+31 6 12345678"),
        ("-10", "'-10"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Terugbellen binnen 4 uur", "Terugbellen binnen 4 uur"),
        ("a=b", "a=b"),
        ("", ""),
        (-10, -10),
        (date(2026, 5, 1), date(2026, 5, 1)),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert exports.neutralise(value) == expected


def test_xlsx_keeps_hostile_text_as_text(ctx):
    ict = make_department("ICT")
    owner = make_user(Role.owner, name="=cmd|' /C calc'!A0", staff_of=[ict])
    make_user(Role.director, directs=[ict])
    make_action(ict, owner, title='=HYPERLINK("http://evil.example","klik")')
    today = clock.today()
    data = queries.export_data(
        queries.filtered_actions(ActionFilter(department_ids=[ict.id]), today)
    )
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(data, today))).active
    title, owner_name = sheet.cell(row=2, column=3), sheet.cell(row=2, column=6)
    assert title.value == '\'=HYPERLINK("http://evil.example","klik")' and title.data_type == "s"
    assert owner_name.value.startswith("'=cmd") and owner_name.data_type == "s"
    assert "'=cmd" in exports.to_csv(data, today)
