"""Complementary suppression: a group of exactly threshold - 1 is hidden, and nothing shown
lets anyone work its score out: the organisation's own average (the benchmark when the file
has none) is taken over the shown groups only, and its size shows as "fewer than 5"."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_department, make_user
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.surveys.models import Finding

QUESTION = "Ik word goed geholpen"


def _export(groups: dict[str, list[int]]) -> bytes:
    lines = [f"Afdeling;{QUESTION}"]
    for department, grades in groups.items():
        lines += [f"{department};{grade}" for grade in grades]
    return ("\n".join(lines) + "\n").encode()


def test_a_group_of_threshold_minus_one_cannot_be_worked_out(app, ctx, tmp_path, client):
    for name in ("ICT", "HR", "JZ"):
        make_department(name, name)
    director = make_user(Role.director, email="dir@example.org")
    db.session.commit()
    groups = {"ICT": [8] * 20 + [6] * 20, "HR": [7] * 30, "JZ": [2, 2, 3, 1]}  # JZ: 4 < 5
    path = tmp_path / "kto.csv"
    path.write_bytes(_export(groups))
    result = app.test_cli_runner().invoke(
        args=["import-survey", str(path), "--round", "KTO 2026", "--department-column", "Afdeling"]
    )
    assert result.exit_code == 0, result.output
    findings = {
        f.department.short_name: f
        for f in db.session.scalars(select(Finding).join(Finding.department))
    }
    assert findings["JZ"].score is None and findings["JZ"].suppressed
    shown = (sum(groups["ICT"]) + sum(groups["HR"])) / (len(groups["ICT"]) + len(groups["HR"]))
    everyone = sum(sum(g) for g in groups.values()) / sum(len(g) for g in groups.values())
    assert findings["ICT"].benchmark == round(shown, 2) != round(everyone, 2)
    # Its size is not shown either: "fewer than 5", not 4.
    client.login(director.email)
    page = client.get(
        f"/surveys/{findings['JZ'].round_id}/departments/{findings['JZ'].department_id}"
    ).get_data(as_text=True)
    assert "minder dan 5" in page
    assert '<td class="text-end">4</td>' not in page
