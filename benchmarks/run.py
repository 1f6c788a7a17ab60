"""Time zonedata's validate, release, load and --help as whole processes, at several sizes.

    python benchmarks/run.py                       # 10k, 100k and 1M rows; Markdown to stdout
    python benchmarks/run.py --sizes 10000 --runs 3 --markdown /tmp/bench.md --json /tmp/b.json

Run it with the Python of the environment that has zonedata installed (its ``zonedata``
and ``frictionless`` scripts are taken from the same ``bin`` folder). For each size it
generates a synthetic package with ``benchmarks/generate.py`` (kept in ``--work`` and
reused), checks that ``zonedata validate`` finds 0 errors and 0 warnings in it, then times
each command below as a fresh process, several times, interleaved (run 1 of every command,
then run 2, ...) so that a slow minute of the machine does not fall on one command only:

- ``zonedata validate PKG`` (all layers), and with ``--no-semantic`` (layers 1-3);
- ``frictionless validate PKG/datapackage.json``, the peer;
- the floor: a ``python -c`` that reads every CSV of the package with
  ``pyarrow.csv.read_csv``; and two processes that only import, to split import cost
  from work: ``import pyarrow.csv`` (the floor's imports) and the modules that
  ``zonedata validate`` imports on valid data (CLI, engine, schema layer and pandas,
  semantic rules; not pandera, and frictionless only in the profile check's child);
- ``zonedata release PKG --out DIR --force``;
- ``zonedata.load('city_gdp', release=DIR)`` in a fresh process, against a bare
  ``pandas.read_parquet`` of the same Parquet file;

and, once: ``zonedata --help``, and ``zonedata validate`` against ``frictionless validate
datapackage.json`` on the package in the repository. Wall time is measured around each
process; peak memory is the process's maximum resident set size (``wait4`` rusage).

Medians are reported. Before each size the script waits (up to ``--wait-minutes``) until
the 1-minute load average is below ``--max-load``; before each round of runs, until other
processes use less than ``--max-busy`` of the CPU (sampled over 2 s while it is idle). It
records both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FIGURES = "city_gdp"

FLOOR = (
    "import sys, pathlib, pyarrow.csv as c\n"
    "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.csv')): c.read_csv(p)"
)
FLOOR_IMPORTS = "import pyarrow.csv"
#: what ``zonedata validate`` imports on valid data: pandera only for a rule whose verdict
#: is in doubt, frictionless in the profile check's child process (run on another core)
VALIDATE_IMPORTS = (
    "import zonedata.cli, zonedata.cli.validate_cmd, zonedata.validate.engine, "
    "zonedata.validate.render, zonedata.validate.semantic, zonedata.validate.schema_checks"
)
LOAD = "import sys, zonedata; zonedata.load(sys.argv[1], release=sys.argv[2])"
READ_PARQUET = "import sys, pandas; pandas.read_parquet(sys.argv[1])"


@dataclass
class Timing:
    """The runs of one command."""

    name: str
    argv: list[str]
    seconds: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    cwd: str | None = None
    #: the exit code the command must end with (1: it reports invalid data)
    exit_code: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rss_mb(self) -> float:
        return statistics.median(self.rss_kb) / 1024

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "argv": self.argv,
            "seconds": self.seconds,
            "median_s": round(self.median, 4),
            "min_s": round(min(self.seconds), 4),
            "peak_rss_mb": round(self.rss_mb, 1),
        }


def run_once(t: Timing) -> None:
    """Run the command once as a fresh process; record wall time and peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(t.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=t.cwd)
    stderr = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != t.exit_code:
        raise SystemExit(
            f"{t.name}: exit {proc.returncode}: {' '.join(t.argv)}\n"
            f"{stderr.decode(errors='replace')[-2000:]}"
        )
    t.seconds.append(elapsed)
    t.rss_kb.append(usage.ru_maxrss)  # kilobytes on Linux


def cpu_busy(seconds: float = 2.0) -> float:
    """Share of all CPU time spent busy over the next ``seconds`` (0-1), from /proc/stat.

    The script sleeps meanwhile, so this is what other processes use.
    """

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError):
        return 0.0
    total = total1 - total0
    return 1 - (idle1 - idle0) / total if total > 0 else 0.0


def wait_for_quiet(
    max_load: float | None, max_busy: float, wait_minutes: float
) -> tuple[float, float]:
    """Wait until the machine is quiet; return (1-minute load average, busy share).

    Quiet: the 1-minute load average below ``max_load`` and, over 2 s in which this
    script does nothing, less than ``max_busy`` of the CPU time busy. The load average
    also counts this script's own previous runs for a minute or so, so it is the gate
    only at the start of a size (``max_load`` is then ``None`` between rounds).
    """
    deadline = time.monotonic() + wait_minutes * 60
    while True:
        load, busy = os.getloadavg()[0], cpu_busy()
        quiet = busy < max_busy and (max_load is None or load < max_load)
        if quiet or time.monotonic() >= deadline:
            if not quiet:
                print(f"  still busy (load {load:.2f}, {busy:.0%}): measuring anyway",
                      file=sys.stderr, flush=True)  # fmt: skip
            return load, busy
        print(f"  load {load:.2f}, CPU {busy:.0%} busy: waiting 60 s", file=sys.stderr, flush=True)
        time.sleep(60)


def time_all(
    timings: list[Timing], runs: dict[str, int], args: argparse.Namespace, *, first: bool = True
) -> list[str]:
    """Run every command ``runs[name]`` times, interleaved; return the quietness seen.

    ``first``: this starts a size, so wait for a low load average too.
    """
    seen = []
    for i in range(max(runs.values())):
        load, busy = wait_for_quiet(
            args.max_load if first and i == 0 else None, args.max_busy, args.wait_minutes
        )
        seen.append(f"{load:.2f}/{busy:.0%}")
        for t in timings:
            if i < runs[t.name]:
                print(f"  {t.name} run {i + 1}/{runs[t.name]}", file=sys.stderr, flush=True)
                run_once(t)
    return seen


def script(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise SystemExit(f"{path} not found: run this with the Python of zonedata's venv")
    return str(path)


def check_valid(pkg: Path) -> None:
    """The package must validate with 0 errors and 0 warnings, or its timings mean little."""
    out = subprocess.run(
        [script("zonedata"), "validate", str(pkg), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(out.stdout)
    problems = report.get("problems", [])
    if out.returncode != 0 or problems:
        shown = "\n".join(f"  {p['code']}: {p['message']}" for p in problems[:10])
        raise SystemExit(f"{pkg} is not clean ({len(problems)} problems):\n{shown}")


def check_faulty(pkg: Path) -> None:
    """The faulty package must give exactly the problems its ``.faults`` lists, by code.

    (Read from the file rather than imported from ``generate.py``: importing pandas here
    would make every child process's peak RSS start at this one's, as forked.)
    """
    expected = json.loads((pkg / ".faults").read_text(encoding="utf-8"))["problems"]
    out = subprocess.run(
        [script("zonedata"), "validate", str(pkg), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    found = Counter(p["code"] for p in json.loads(out.stdout).get("problems", []))
    if out.returncode != 1 or found != Counter(expected):
        raise SystemExit(f"{pkg}: expected {expected}, found {dict(found)}")


def generate(rows: int, seed: int, out: Path, faults: int = 0) -> None:
    stamp = f"{rows} {faults}"
    if (out / "datapackage.json").exists() and (out / ".rows").read_text() == stamp:
        return
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "generate.py"), "--rows", str(rows),
         "--seed", str(seed), "--out", str(out), "--faults", str(faults)],
        check=True,
    )  # fmt: skip
    (out / ".rows").write_text(stamp)


def release_dir(out: Path) -> Path:
    found = sorted(p for p in out.iterdir() if p.is_dir())
    if len(found) != 1:
        raise SystemExit(f"expected one release folder in {out}, found {found}")
    return found[0]


def bench_size(rows: int, args: argparse.Namespace) -> dict[str, object]:
    pkg = args.work / f"pkg-{rows}"
    generate(rows, args.seed, pkg)
    check_valid(pkg)
    rel = args.work / f"release-{rows}"
    py, zd = sys.executable, script("zonedata")
    faulty: list[Timing] = []
    if args.faults:
        bad = args.work / f"pkg-{rows}-faults-{args.faults}"
        generate(rows, args.seed, bad, args.faults)
        check_faulty(bad)
        name = f"zonedata validate, 1 row in {args.faults} faulty"
        faulty.append(Timing(name, [zd, "validate", str(bad)], exit_code=1))
    timings = [
        Timing("zonedata validate", [zd, "validate", str(pkg)]),
        *faulty,
        Timing("zonedata validate --no-semantic", [zd, "validate", "--no-semantic", str(pkg)]),
        Timing("frictionless validate", [script("frictionless"), "validate",
                                         str(pkg / "datapackage.json")]),
        Timing("floor: pyarrow.csv.read_csv", [py, "-c", FLOOR, str(pkg / "data")]),
        Timing("imports: pyarrow.csv", [py, "-c", FLOOR_IMPORTS]),
        Timing("imports: zonedata validate", [py, "-c", VALIDATE_IMPORTS]),
        Timing("zonedata release", [zd, "release", str(pkg), "--out", str(rel), "--force"]),
    ]  # fmt: skip
    large = rows >= args.large
    runs = {t.name: args.runs_large if large else args.runs for t in timings}
    runs["frictionless validate"] = args.frictionless_runs_large if large else args.runs
    print(f"{rows:,} rows: {pkg}", file=sys.stderr, flush=True)
    loads = time_all(timings, runs, args)
    parquet = release_dir(rel) / f"{FIGURES}.parquet"
    load_timings = [
        Timing("zonedata.load", [py, "-c", LOAD, FIGURES, str(release_dir(rel))]),
        Timing("pandas.read_parquet", [py, "-c", READ_PARQUET, str(parquet)]),
    ]
    loads += time_all(load_timings, {t.name: args.runs for t in load_timings}, args, first=False)
    return {
        "rows": rows,
        "total_rows": sum(
            sum(1 for _ in p.open(encoding="utf-8")) - 1 for p in (pkg / "data").glob("*.csv")
        ),
        "csv_bytes": sum(p.stat().st_size for p in (pkg / "data").glob("*.csv")),
        "quiet": loads,
        "timings": {t.name: t.as_dict() for t in timings + load_timings},
    }


def bench_fixed(args: argparse.Namespace) -> dict[str, object]:
    zd = script("zonedata")
    timings = [
        Timing("zonedata --help", [zd, "--help"]),
        Timing("zonedata validate (canonical)", [zd, "validate"], cwd=str(REPO)),
        Timing("frictionless validate datapackage.json (canonical)",
               [script("frictionless"), "validate", "datapackage.json"], cwd=str(REPO)),
        Timing("imports: zonedata validate", [sys.executable, "-c", VALIDATE_IMPORTS]),
    ]  # fmt: skip
    print("canonical data and --help", file=sys.stderr, flush=True)
    loads = time_all(timings, {t.name: args.runs for t in timings}, args)
    return {
        "quiet": loads,
        "timings": {t.name: t.as_dict() for t in timings},
    }


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        ram = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        ram = "unknown"
    versions = {}
    for dist in ("zonedata", "pyarrow", "pandas", "numpy", "pandera", "frictionless", "click"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **versions,
    }


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "n/a"


def med(size: dict[str, Any], name: str) -> float:
    return float(size["timings"][name]["median_s"])


def after_imports(size: dict[str, Any], name: str, imports: str) -> float:
    return med(size, name) - med(size, imports)


#: derived rows of the table: label -> value for one size
DERIVED: dict[str, Callable[[dict[str, Any]], str]] = {
    "frictionless / zonedata validate": lambda s: ratio(
        med(s, "frictionless validate"), med(s, "zonedata validate")
    ),
    "validate after imports (s)": lambda s: (
        f"{after_imports(s, 'zonedata validate', 'imports: zonedata validate'):.3f}"
    ),
    "floor after imports (s)": lambda s: (
        f"{after_imports(s, 'floor: pyarrow.csv.read_csv', 'imports: pyarrow.csv'):.3f}"
    ),
    "validate after imports / floor after imports": lambda s: ratio(
        after_imports(s, "zonedata validate", "imports: zonedata validate"),
        after_imports(s, "floor: pyarrow.csv.read_csv", "imports: pyarrow.csv"),
    ),
    "zonedata.load / pandas.read_parquet": lambda s: ratio(
        med(s, "zonedata.load"), med(s, "pandas.read_parquet")
    ),
    "load average / CPU busy before each round": lambda s: ", ".join(s["quiet"]),
}


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"Measured {result['date']} ({result['label']}) on {m['nproc']} cores of an {m['cpu']}, "
        f"{m['ram']} RAM, {m['os']}; Python {m['python']}, zonedata {m['zonedata']}, "
        f"pyarrow {m['pyarrow']}, pandas {m['pandas']}, numpy {m['numpy']}, "
        f"pandera {m['pandera']}, frictionless {m['frictionless']}, click {m['click']}.",
        "",
    ]
    sizes = result["sizes"]
    if sizes:
        names = list(sizes[0]["timings"])
        head = ["command"] + [f"{s['rows']:,} rows" for s in sizes]
        rows = []
        for n in names:
            cells = []
            for s in sizes:
                t = s["timings"][n]
                cells.append(
                    f"{t['median_s']:.3f} s ({len(t['seconds'])}), {t['peak_rss_mb']:.0f} MB"
                )
            rows.append([n, *cells])
        lines += ["Median wall time (number of runs), peak RSS:", ""]
        lines += table(head, rows)
        lines += [""]
        lines += table(
            ["derived"] + [f"{s['rows']:,} rows" for s in sizes],
            [[label, *(f(s) for s in sizes)] for label, f in DERIVED.items()],
        )
        if len(sizes) > 1:
            pairs = list(itertools.pairwise(sizes))
            growth = []
            for n in names:
                cells = []
                for a, b in pairs:
                    ta, tb = a["timings"][n], b["timings"][n]
                    cells.append(
                        f"{tb['median_s'] / ta['median_s']:.2f}x / "
                        f"{tb['peak_rss_mb'] / ta['peak_rss_mb']:.2f}x"
                    )
                growth.append([n, *cells])
            lines += ["", "Growth from one size to the next: time ratio / peak memory ratio.", ""]
            lines += table(
                ["command"]
                + [
                    f"{a['rows']:,} to {b['rows']:,} ({b['rows'] / a['rows']:g}x rows)"
                    for a, b in pairs
                ],
                growth,
            )
    fixed = result.get("fixed")
    if fixed:
        t = fixed["timings"]
        zd = t["zonedata validate (canonical)"]["median_s"]
        fr = t["frictionless validate datapackage.json (canonical)"]["median_s"]
        lines += ["", "Canonical data (the repository's package) and `--help`:", ""]
        lines += table(
            ["command", "median (runs)", "peak RSS"],
            [
                [
                    v["name"],
                    f"{v['median_s']:.3f} s ({len(v['seconds'])})",
                    f"{v['peak_rss_mb']:.0f} MB",
                ]
                for v in t.values()
            ],
        )
        lines += [
            "",
            f"zonedata / frictionless on the canonical data: {ratio(zd, fr)}; load average / "
            "CPU busy before each round: " + ", ".join(fixed["quiet"]) + ".",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="10000,100000,1000000", help="rows of the figures table")
    ap.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    ap.add_argument("--runs-large", type=int, default=3, help="runs at sizes >= --large")
    ap.add_argument("--frictionless-runs-large", type=int, default=2,
                    help="frictionless runs at sizes >= --large (30-60 s each at 1M rows)")  # fmt: skip
    ap.add_argument("--large", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--faults", type=int, default=200,
                    help="also time a copy with one faulty row in K (default 200; 0: no)")  # fmt: skip
    ap.add_argument("--work", type=Path, default=Path("/tmp/zonedata-bench"),
                    help="where packages and releases are written (reused between runs)")  # fmt: skip
    ap.add_argument(
        "--max-load",
        type=float,
        default=0.8,
        help="1-minute load average to wait for before each size (default 0.8)",
    )
    ap.add_argument(
        "--max-busy",
        type=float,
        default=0.15,
        help="CPU share others may use before each round (default 0.15)",
    )
    ap.add_argument("--wait-minutes", type=float, default=20)
    ap.add_argument("--no-fixed", action="store_true", help="skip --help and the canonical data")
    ap.add_argument("--label", default="working tree", help="a name for this run (e.g. before)")
    ap.add_argument("--markdown", type=Path, help="also write the Markdown here")
    ap.add_argument("--json", type=Path, help="also write every measurement here")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sizes: list[dict[str, Any]] = []
    result: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "label": args.label,
        "machine": machine(),
        "sizes": sizes,
    }

    def save() -> str:  # after each part, so that an interrupted run keeps what it measured
        text = markdown(result)
        if args.markdown:
            args.markdown.write_text(text, encoding="utf-8")
        if args.json:
            args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        return text

    for n in args.sizes.split(","):
        if n:
            sizes.append(bench_size(int(n), args))
            save()
    if not args.no_fixed:
        result["fixed"] = bench_fixed(args)
    print(save())


if __name__ == "__main__":
    main()
