"""The downloadable template for aggregated findings (CSV)."""

from __future__ import annotations

import csv
import io

HEADERS = {
    "nl": [
        "afdeling",
        "thema",
        "vraagcode",
        "vraag",
        "score",
        "n",
        "benchmark",
        "vorige",
        "sd",
        "schaal",
        "opmerking",
    ],
    "en": [
        "department",
        "theme",
        "question code",
        "question",
        "score",
        "n",
        "benchmark",
        "previous",
        "sd",
        "scale",
        "comment",
    ],
}

# (department, theme, code, question, score, n, benchmark, previous, sd, scale, comment)
_EXAMPLES = {
    "nl": [
        (
            "ICT",
            "Dienstverlening",
            "DV01",
            "Mijn melding wordt snel opgepakt",
            6.8,
            48,
            7.1,
            6.5,
            1.6,
            "1-10",
            "Terugbellen duurt vaak meer dan een dag.",
        ),
        (
            "ICT",
            "Bereikbaarheid",
            "BR01",
            "De servicedesk is goed bereikbaar",
            3.4,
            48,
            3.7,
            3.5,
            0.9,
            "1-5",
            "",
        ),
        (
            "HR",
            "Klantgerichtheid",
            "KG01",
            "Medewerkers denken met mij mee",
            3.9,
            31,
            3.8,
            None,
            0.8,
            "1-5",
            "Prettig contact met de HR-adviseur.",
        ),
        (
            "HR",
            "Communicatie",
            "CO01",
            "Ik weet bij wie ik terecht kan",
            0.72,
            31,
            0.80,
            0.69,
            None,
            "ja/nee",
            "",
        ),
        (
            "Financiën",
            "Producten en diensten",
            "PD01",
            "Facturen worden op tijd betaald",
            7.4,
            22,
            7.0,
            7.2,
            1.2,
            "1-10",
            "",
        ),
    ],
    "en": [
        (
            "ICT",
            "Service delivery",
            "DV01",
            "My request is picked up quickly",
            6.8,
            48,
            7.1,
            6.5,
            1.6,
            "1-10",
            "Calling back often takes more than a day.",
        ),
        (
            "ICT",
            "Accessibility",
            "BR01",
            "The service desk is easy to reach",
            3.4,
            48,
            3.7,
            3.5,
            0.9,
            "1-5",
            "",
        ),
        (
            "HR",
            "Customer orientation",
            "KG01",
            "Staff think along with me",
            3.9,
            31,
            3.8,
            None,
            0.8,
            "1-5",
            "Pleasant contact with the HR adviser.",
        ),
        (
            "HR",
            "Communication",
            "CO01",
            "I know whom to contact",
            0.72,
            31,
            0.80,
            0.69,
            None,
            "yes/no",
            "",
        ),
        (
            "Finance",
            "Products and services",
            "PD01",
            "Invoices are paid on time",
            7.4,
            22,
            7.0,
            7.2,
            1.2,
            "1-10",
            "",
        ),
    ],
}


def findings_template(language: str = "nl") -> bytes:
    """CSV bytes of the findings template with example rows.

    Dutch: ';' separated with decimal commas, as Dutch Excel opens it directly.
    English: ',' separated with decimal points. Both UTF-8 with BOM, so Excel
    shows accented department names correctly.
    """
    lang = "en" if language == "en" else "nl"
    delimiter, decimal = (";", ",") if lang == "nl" else (",", ".")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADERS[lang])
    for row in _EXAMPLES[lang]:
        writer.writerow(
            [
                "" if v is None else (f"{v:g}".replace(".", decimal) if isinstance(v, float) else v)
                for v in row
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def template_filename(language: str = "nl") -> str:
    return "bevindingen-sjabloon.csv" if language != "en" else "findings-template.csv"
