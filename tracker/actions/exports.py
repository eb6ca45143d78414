"""The filtered action list as CSV and XLSX, safe to open in a spreadsheet (both written by
tracker.spreadsheets)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _

from tracker import clock
from tracker.actions.forms import (
    PRIORITY_LABELS,
    SPHERE_LABELS,
    STATUS_LABELS,
    VISIBILITY_LABELS,
)
from tracker.actions.models import ImprovementAction
from tracker.actions.queries import ExportData
from tracker.actions.services import finding_label
from tracker.spreadsheets import (
    DATE,
    DATETIME,
    INTEGER,
    PERCENT,
    SheetColumn,
    csv_text,
    neutralise,
    xlsx_bytes,
)

__all__ = ["to_csv", "to_xlsx", "neutralise"]


def _columns() -> list[SheetColumn]:
    return [
        SheetColumn(_("Number"), INTEGER),
        SheetColumn(_("Department")),
        SheetColumn(_("Title")),
        SheetColumn(_("Description")),
        SheetColumn(_("Status")),
        SheetColumn(_("Owner")),
        SheetColumn(_("Co-owners")),
        SheetColumn(_("Deadline"), DATE),
        SheetColumn(_("Overdue")),
        SheetColumn(_("Priority")),
        SheetColumn(_("Quick win")),
        SheetColumn(_("Sphere of influence")),
        SheetColumn(_("Visibility")),
        SheetColumn(_("Progress (%)"), PERCENT),
        SheetColumn(_("Last update"), DATETIME),
        SheetColumn(_("Findings")),
        SheetColumn(_("Public summary")),
        SheetColumn(_("Result")),
        SheetColumn(_("Public explanation")),
    ]


def _row(action: ImprovementAction, data: ExportData, today: date) -> list:
    """The values as the spreadsheet keeps them: progress as a fraction (shown as 40%), the
    last update as a local date and time."""
    last_update = (
        action.last_update_at.astimezone(clock.zone()).replace(tzinfo=None)
        if action.last_update_at
        else None
    )
    return [
        action.id,
        action.department.name,
        action.title,
        action.description,
        str(STATUS_LABELS[action.status]),
        action.owner.name,
        ", ".join(data.co_owners.get(action.id, ())),
        action.deadline,
        _("Yes") if action.is_overdue(today) else _("No"),
        str(PRIORITY_LABELS[action.priority]),
        _("Yes") if action.quick_win else _("No"),
        str(SPHERE_LABELS[action.sphere]),
        str(VISIBILITY_LABELS[action.visibility]),
        action.progress / 100,
        last_update,
        "; ".join(finding_label(f) for f in data.findings.get(action.id, ())),
        action.public_summary or "",
        action.result or "",
        action.decline_explanation or "",
    ]


def _csv_value(value, column: SheetColumn):
    if column.kind == PERCENT:
        return round(value * 100)
    if column.kind == DATETIME:
        return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""
    return value


def to_csv(data: ExportData, today: date) -> str:
    columns = _columns()
    return csv_text(
        [c.header for c in columns],
        (
            [_csv_value(v, c) for v, c in zip(_row(action, data, today), columns)]
            for action in data.actions
        ),
    )


def to_xlsx(data: ExportData, today: date, now: datetime | None = None) -> bytes:
    from tracker.organisation.queries import get_organisation
    from tracker.types import utcnow

    organisation = get_organisation().name
    return xlsx_bytes(
        title=_("Improvement actions"),
        subject=_(
            "%(organisation)s: improvement actions, %(date)s",
            organisation=organisation,
            date=format_date(today, "long"),
        ),
        sheet=_("Actions"),
        columns=_columns(),
        rows=(_row(action, data, today) for action in data.actions),
        creator=organisation,
        now=now or utcnow(),
        language=str(get_locale() or "nl"),
    )
