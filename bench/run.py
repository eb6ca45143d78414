"""`make bench`: generate the data once (bench/generate.py, into a temporary folder that every
benchmark reads through BENCH_DATA), run every bench/bench_*.py, and write the lot to
bench/results/latest.md: each figure beside its reference and the ratio, the queries per page
at small and large data, and the load test's figures.

Each benchmark measures its own reference in the same run (this machine is noisy, so only
ratios are compared, never a wall-clock limit); this script collects what they record
(bench/common.py's Results, as JSON in bench/results/raw/) and what they print.

    .venv/bin/python bench/run.py [bench_import bench_load ...]
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.common import markdown_table, verdict  # noqa: E402

RESULTS = HERE / "results"
RAW = RESULTS / "raw"
#: Known benchmarks first, in this order; any other bench_*.py after them.
ORDER = [
    "bench_import",
    "bench_actions",
    "bench_reminders",
    "bench_meetings",
    "bench_public",
    "bench_queries",
    "bench_pages",
    "bench_load",
]


def _scripts(only: list[str]) -> list[Path]:
    found = {p.stem: p for p in HERE.glob("bench_*.py")}
    names = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    if only:
        names = [n for n in names if n in only]
    return [found[n] for n in names]


def _run(command: list[str], env: dict) -> tuple[int, str, str, float]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=HERE.parent)
    output = "\n".join(
        line for line in result.stdout.splitlines() if not line.startswith("INFO  [alembic")
    )
    return result.returncode, output, result.stderr, time.perf_counter() - started


def _figure(value: float, unit: str) -> str:
    if unit == "ms" and value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:,.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    RESULTS.mkdir(exist_ok=True)
    shutil.rmtree(RAW, ignore_errors=True)
    RAW.mkdir(parents=True)
    sections, failed, timings = [], [], []
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as data:
        env = dict(os.environ, BENCH_DATA=data, BENCH_RESULTS=str(RAW), PYTHONUNBUFFERED="1")
        print("== generate (bench/generate.py, once for every benchmark)", flush=True)
        code, output, errors, seconds = _run(
            [sys.executable, str(HERE / "generate.py"), "--out", data], env
        )
        print(output, flush=True)
        timings.append(("generate", seconds))
        sections.append(f"## generate.py ({seconds:.0f} s)\n\n```\n{output}\n```\n")
        if code != 0:
            print(errors[-3000:], file=sys.stderr)
            print("Generating the data failed; no benchmark ran.", file=sys.stderr)
            return 1
        for script in _scripts(argv):
            print(f"== {script.name}", flush=True)
            code, output, errors, seconds = _run([sys.executable, str(script)], env)
            print(output, flush=True)
            timings.append((script.stem, seconds))
            if code != 0:
                failed.append(script.stem)
                print(errors[-3000:], file=sys.stderr)
                output += f"\n\n(exit status {code})\n" + errors[-3000:]
            sections.append(f"## {script.name} ({seconds:.0f} s)\n\n```\n{output}\n```\n")
    total = time.perf_counter() - started

    recorded = {}
    for path in sorted(RAW.glob("*.json")):
        content = json.loads(path.read_text())
        recorded[content["benchmark"]] = content
    figures, checks, tables = [], [], []
    for name, _seconds in timings[1:]:
        content = recorded.get(name)
        if content is None:
            checks.append([name, "recorded its results", "no (it stopped early)", "", "FAILED"])
            continue
        for row in content["rows"]:
            if "figure" in row:
                figures.append(
                    [
                        name,
                        row["measurement"],
                        _figure(row["figure"], row["unit"]),
                        f"{_figure(row['reference'], row['unit'])} ({row['reference_name']})",
                        f"{row['ratio']:.2f}x",
                        row["target"],
                        verdict(row["ok"]),
                    ]
                )
            else:
                checks.append(
                    [name, row["measurement"], row["value"], row["target"], verdict(row["ok"])]
                )
        for table in content["tables"]:
            tables.append(
                f"### {table['title']}\n\n" + markdown_table(table["header"], table["rows"]) + "\n"
            )
        for note in content.get("notes", []):
            checks.append([name, "note", note, "", ""])
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = [
        f"# Benchmarks, {stamp}\n",
        f"{platform.node()} · Python {platform.python_version()} · {platform.machine()} · "
        f"{os.cpu_count()} CPUs · `make bench` took {total / 60:.1f} min "
        f"({', '.join(f'{n} {s:.0f} s' for n, s in timings)})\n",
        "Every figure is compared with a reference measured in the same run on the same "
        "machine; only the ratios are held against targets.\n",
        "## Figures beside their references\n",
        markdown_table(
            ["benchmark", "measurement", "figure", "reference", "ratio", "target", "verdict"],
            figures,
        )
        + "\n",
        "## Checks\n",
        markdown_table(["benchmark", "check", "value", "target", "verdict"], checks) + "\n",
        *tables,
        "# Output of each step\n",
        *sections,
    ]
    (RESULTS / "latest.md").write_text("\n".join(report))
    print(
        f"\n{markdown_table(['benchmark', 'measurement', 'figure', 'reference', 'ratio', 'target', 'verdict'], figures)}"
    )
    print(f"\n{markdown_table(['benchmark', 'check', 'value', 'target', 'verdict'], checks)}")
    print(f"\nWritten to {RESULTS / 'latest.md'}; make bench took {total / 60:.1f} min")
    failed += [row[0] for row in figures + checks if row[-1] == "FAILED" and row[0] not in failed]
    if failed:
        print(f"Failed: {', '.join(dict.fromkeys(failed))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
