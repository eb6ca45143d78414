"""The filtered action list as CSV and XLSX, safe to open in a spreadsheet."""

from __future__ import annotations

import io
from datetime import date

from flask_babel import format_datetime
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from tracker.actions.forms import (
    PRIORITY_LABELS,
    SPHERE_LABELS,
    STATUS_LABELS,
    VISIBILITY_LABELS,
)
from tracker.actions.models import ImprovementAction
from tracker.actions.queries import ExportData
from tracker.actions.services import finding_label
from tracker.spreadsheets import csv_text, neutralise


def _headers() -> list[str]:
    return [
        _("Number"),
        _("Department"),
        _("Title"),
        _("Description"),
        _("Status"),
        _("Owner"),
        _("Co-owners"),
        _("Deadline"),
        _("Overdue"),
        _("Priority"),
        _("Quick win"),
        _("Sphere of influence"),
        _("Visibility"),
        _("Progress (%)"),
        _("Last update"),
        _("Findings"),
        _("Public summary"),
        _("Result"),
        _("Public explanation"),
    ]


def _row(action: ImprovementAction, data: ExportData, today: date) -> list:
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
        action.progress,
        format_datetime(action.last_update_at, "yyyy-MM-dd HH:mm") if action.last_update_at else "",
        "; ".join(finding_label(f) for f in data.findings.get(action.id, ())),
        action.public_summary or "",
        action.result or "",
        action.decline_explanation or "",
    ]


def to_csv(data: ExportData, today: date) -> str:
    return csv_text(_headers(), (_row(action, data, today) for action in data.actions))


def to_xlsx(data: ExportData, today: date) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Actions"))
    bold = Font(bold=True)
    header = []
    for title in _headers():
        cell = WriteOnlyCell(sheet, value=neutralise(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for action in data.actions:
        cells = []
        for value in _row(action, data, today):
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            if isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, str):
                # Text stays text: never let openpyxl read a leading '=' as a formula.
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
