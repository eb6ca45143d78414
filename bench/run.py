"""`make bench`: run every bench/bench_*.py, show each figure beside its reference and the
ratio, and write the lot to bench/results/latest.md.

Each benchmark measures its own reference in the same run (this machine is noisy, so only
ratios are compared); this script collects what they print.
"""
from __future__ import annotations

import platform
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
RATIO = re.compile(r"ratio", re.IGNORECASE)


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    sections, summary, failed = [], [], []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        seconds = time.perf_counter() - started
        output = "\n".join(line for line in result.stdout.splitlines()
                           if not line.startswith("INFO"))
        print(output, flush=True)
        if result.returncode != 0:
            failed.append(script.name)
            print(result.stderr[-2000:], file=sys.stderr)
        for line in output.splitlines():
            if RATIO.search(line):
                summary.append((script.name, line.strip()))
        sections.append(f"## {script.name} ({seconds:.0f} s)\n\n```\n{output}\n```\n")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    table = ["| benchmark | figure, reference and ratio |", "| --- | --- |"]
    table += [f"| {name} | {line.replace('|', '/')} |" for name, line in summary]
    report = (
        f"# Benchmarks, {stamp}\n\n{platform.node()} · Python {platform.python_version()} · "
        f"{platform.machine()}\n\nEvery figure is compared with a reference measured in the "
        f"same run.\n\n" + "\n".join(table) + "\n\n" + "\n".join(sections)
    )
    (RESULTS / "latest.md").write_text(report)
    print(f"\nWritten to {RESULTS / 'latest.md'}")
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
