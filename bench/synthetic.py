"""A realistic, seeded Dutch internal-customer survey in Qualtrics CSV format.

Used by the performance benchmark and the demo data. Run as a script:

    python -m bench.synthetic out.csv --respondents 2000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
from dataclasses import dataclass, field

DEPARTMENT_QUESTION = "Over welke afdeling gaat uw oordeel?"
COMMENT_QUESTION = "Heeft u nog tips of opmerkingen voor deze afdeling?"
LIKERT_LABELS = ("Helemaal mee oneens", "Mee oneens", "Neutraal", "Mee eens", "Helemaal mee eens")
DONT_KNOW = "Weet niet"

DEPARTMENTS = (
    "ICT",
    "HR",
    "Financiën",
    "Facilitaire Zaken",
    "Juridische Zaken",
    "Communicatie",
    "Inkoop",
    "Informatiebeheer",
    "Huisvesting",
    "Bestuursondersteuning",
    "Control",
    "Salarisadministratie",
    "Servicedesk",
    "Vastgoed",
    "Documentaire Informatievoorziening",
)

THEMES = {
    "Producten en diensten": (
        "De producten van de afdeling sluiten aan op mijn werk",
        "De geleverde diensten zijn van goede kwaliteit",
        "De afdeling levert wat is afgesproken",
        "Het aanbod van de afdeling is duidelijk",
        "De afdeling levert foutloos werk",
        "Welk rapportcijfer geeft u de producten en diensten van de afdeling?",
    ),
    "Dienstverlening": (
        "Mijn vraag wordt snel opgepakt",
        "Ik word teruggebeld wanneer dat is toegezegd",
        "De afdeling houdt zich aan afspraken",
        "Ik word op de hoogte gehouden van de voortgang",
        "Mijn vraag wordt in één keer goed afgehandeld",
        "Welk rapportcijfer geeft u de dienstverlening van de afdeling?",
    ),
    "Klantgerichtheid": (
        "Medewerkers denken met mij mee",
        "Medewerkers zijn vriendelijk en behulpzaam",
        "Medewerkers begrijpen wat mijn werk inhoudt",
        "De afdeling legt uit waarom iets niet kan",
        "Medewerkers nemen mijn vraag serieus",
        "Welk rapportcijfer geeft u de klantgerichtheid van de medewerkers?",
    ),
    "Bereikbaarheid": (
        "De afdeling is goed telefonisch bereikbaar",
        "Ik weet bij wie ik terecht kan",
        "Een e-mail wordt binnen twee werkdagen beantwoord",
        "De openingstijden passen bij mijn werktijden",
        "Het selfserviceportaal werkt goed",
        "Welk rapportcijfer geeft u de bereikbaarheid van de afdeling?",
    ),
    "Communicatie": (
        "De afdeling communiceert helder",
        "Ik word tijdig geïnformeerd over veranderingen",
        "Informatie op intranet is actueel",
        "De afdeling vraagt actief om feedback",
        "Ik weet wat ik van de afdeling mag verwachten",
        "Welk rapportcijfer geeft u de communicatie van de afdeling?",
    ),
}

COMMENTS = (
    "Terugbellen duurt vaak meer dan een dag.",
    "Heel prettig contact, altijd vriendelijk geholpen.",
    "Het is onduidelijk bij wie ik moet zijn voor een nieuwe laptop.",
    "Graag een vast aanspreekpunt per team.",
    "Formulieren op intranet zijn verouderd.",
    "De servicedesk is 's middags slecht bereikbaar.",
    "Meer uitleg over waarom een verzoek wordt afgewezen zou helpen.",
    "Snelle afhandeling, complimenten!",
    "Ik krijg geen bericht wanneer mijn melding is opgelost.",
    "Denk eerder mee bij nieuwe projecten, niet pas achteraf.",
)

METADATA = (
    ("StartDate", "Startdatum", "startDate"),
    ("EndDate", "Einddatum", "endDate"),
    ("Status", "Antwoordtype", "status"),
    ("IPAddress", "IP-adres", "ipAddress"),
    ("Progress", "Voortgang", "progress"),
    ("Duration (in seconds)", "Duur (in seconden)", "duration"),
    ("Finished", "Voltooid", "finished"),
    ("RecordedDate", "Registratiedatum", "recordedDate"),
    ("ResponseId", "Antwoord-ID", "_recordId"),
    ("RecipientLastName", "Achternaam ontvanger", "recipientLastName"),
    ("RecipientFirstName", "Voornaam ontvanger", "recipientFirstName"),
    ("RecipientEmail", "E-mail ontvanger", "recipientEmail"),
    ("ExternalReference", "Externe referentie", "externalDataReference"),
    ("LocationLatitude", "Breedtegraad locatie", "locationLatitude"),
    ("LocationLongitude", "Lengtegraad locatie", "locationLongitude"),
    ("DistributionChannel", "Distributiekanaal", "distributionChannel"),
    ("UserLanguage", "Gebruikerstaal", "userLanguage"),
)


@dataclass
class SyntheticQuestion:
    key: str
    text: str
    theme: str
    kind: str  # 'likert5' | 'grade10'


@dataclass
class SyntheticSurvey:
    data: bytes
    questions: list[SyntheticQuestion]
    departments: list[str]
    department_key: str = "Q1"
    comment_key: str = ""
    meta: dict = field(default_factory=dict)


_SPAN, _STEPS = 12, 20  # latent levels from -12 to +12 in steps of 0.05


def question_bank(n_questions: int) -> list[SyntheticQuestion]:
    """n questions spread over the themes in turn; grade questions are 1-10."""
    pool = [
        (theme, text)
        for i in range(6)
        for theme, texts in THEMES.items()
        for text in texts[i : i + 1]
    ]
    questions = []
    for i in range(n_questions):
        theme, text = pool[i % len(pool)]
        if i >= len(pool):
            text = f"{text} ({i // len(pool) + 1})"
        kind = "grade10" if text.startswith("Welk rapportcijfer") else "likert5"
        questions.append(SyntheticQuestion(f"Q{i + 2}", text, theme, kind))
    return questions


def generate(
    respondents: int = 1000,
    questions: int = 20,
    departments: int = 8,
    *,
    seed: int = 2026,
    labels: bool = True,
    dont_know_rate: float = 0.03,
    comment_rate: float = 0.25,
) -> SyntheticSurvey:
    """A Qualtrics 3-header-row CSV (UTF-8 with BOM, as Qualtrics writes it).

    `labels=True` writes choice texts ("Mee eens"), False numeric codes with
    "Weet niet" as -99 (Qualtrics' convention for excluded choices is a
    negative code).
    """
    rng = random.Random(seed)
    depts = list(DEPARTMENTS[: max(1, min(departments, len(DEPARTMENTS)))])
    if departments > len(DEPARTMENTS):
        depts += [f"Afdeling {i}" for i in range(len(DEPARTMENTS) + 1, departments + 1)]
    bank = question_bank(questions)
    comment_key = f"Q{questions + 2}_TEXT"
    # Each department has its own level; some questions are harder than others.
    dept_effect = {d: rng.gauss(0, 0.45) for d in depts}
    question_effect = {q.key: rng.gauss(0, 0.3) for q in bank}
    weights = [rng.uniform(0.3, 1.5) for _ in depts]

    # Drawing from a table of pre-drawn noise (None = "don't know") keeps
    # generating 100,000 x 40 answers fast enough for a benchmark.
    noise_table = [
        None if rng.random() < dont_know_rate else rng.gauss(0, 0.8) for _ in range(8192)
    ]
    effects = [question_effect[q.key] for q in bank]
    likert = [""] + (list(LIKERT_LABELS) if labels else [str(v) for v in range(1, 6)])
    dont_know = DONT_KNOW if labels else "-99"
    # The answer for a latent level, looked up instead of computed per cell.
    levels = [i / _STEPS - _SPAN for i in range(2 * _SPAN * _STEPS)]
    grade = [str(min(10, max(1, round(7.0 + 1.3 * x)))) for x in levels]
    agree = [likert[min(5, max(1, round(3.6 + x)))] for x in levels]
    answer_tables = [grade if q.kind == "grade10" else agree for q in bank]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    keys = [m[0] for m in METADATA] + ["Q1"] + [q.key for q in bank] + [comment_key]
    texts = (
        [m[1] for m in METADATA]
        + [DEPARTMENT_QUESTION]
        + [q.text for q in bank]
        + [COMMENT_QUESTION]
    )
    import_ids = (
        [m[2] for m in METADATA]
        + ["QID1"]
        + [f"QID{q.key[1:]}" for q in bank]
        + [f"QID{questions + 2}_TEXT"]
    )
    writer.writerow(keys)
    writer.writerow(texts)
    writer.writerow([json.dumps({"ImportId": i}) for i in import_ids])

    start = dt.datetime(2026, 3, 2, 8, 0, 0)
    chosen = rng.choices(depts, weights=weights, k=respondents)
    for r, dept in enumerate(chosen):
        begin = start + dt.timedelta(seconds=r * 37 + rng.randint(0, 30))
        duration = rng.randint(120, 900)
        end = begin + dt.timedelta(seconds=duration)
        row = [
            begin.strftime("%Y-%m-%d %H:%M:%S"),
            end.strftime("%Y-%m-%d %H:%M:%S"),
            "0",
            f"10.{r % 250}.{r // 250 % 250}.{r % 7 + 1}",
            "100",
            str(duration),
            "1",
            end.strftime("%Y-%m-%d %H:%M:%S"),
            f"R_{r:015x}",
            "",
            "",
            "",
            "",
            "52.09",
            "5.12",
            "anonymous",
            "NL",
            dept,
        ]
        mood = dept_effect[dept] + rng.gauss(0, 0.35)  # a respondent's general tone
        for answers, effect, noise in zip(
            answer_tables, effects, rng.choices(noise_table, k=len(bank))
        ):
            if noise is None:
                row.append(dont_know)
            else:
                row.append(answers[int((mood + effect + noise + _SPAN) * _STEPS)])
        row.append(rng.choice(COMMENTS) if rng.random() < comment_rate else "")
        writer.writerow(row)
    data = out.getvalue().encode("utf-8-sig")
    return SyntheticSurvey(
        data, bank, depts, "Q1", comment_key, {"seed": seed, "respondents": respondents}
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--departments", type=int, default=8)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--numeric", action="store_true", help="numeric codes instead of choice texts"
    )
    args = parser.parse_args(argv)
    survey = generate(
        args.respondents, args.questions, args.departments, seed=args.seed, labels=not args.numeric
    )
    with open(args.output, "wb") as handle:
        handle.write(survey.data)


if __name__ == "__main__":
    main()
