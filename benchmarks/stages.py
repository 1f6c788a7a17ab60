"""Peak resident memory of each step of ``zonedata validate``, in one process.

    python benchmarks/stages.py PATH/TO/PACKAGE

A thread reads the process's resident set size (``/proc/self/statm``, so Linux only) every
2 ms; the file scan of each table, the schema layer of each table, the foreign keys and
each semantic rule are wrapped to print, when they end, the RSS then, the highest RSS seen
since the previous step ended, and the bytes Arrow's default pool holds
(``pa.total_allocated_bytes()``: the CSV parser's own pool, jemalloc, is not counted; see
``zonedata.validate.memory``). Written for round 4 of benchmarks/README.md.
"""

import os
import sys
import threading
import time

import pyarrow as pa


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


peak = [0.0]


def sampler():
    while True:
        r = rss()
        if r > peak[0]:
            peak[0] = r
        time.sleep(0.002)


threading.Thread(target=sampler, daemon=True).start()
t0 = time.perf_counter()


def mark(label, start=None):
    now = rss()
    print(
        f"{time.perf_counter() - t0:6.2f}s {label:40s} rss {now:6.0f} MB  peak-in-stage {peak[0]:6.0f} MB  arrow {pa.total_allocated_bytes() / 2**20:6.0f} MB",
        flush=True,
    )
    peak[0] = now


import zonedata.validate.schema_checks as sc  # noqa: E402 - after the sampler starts
from zonedata.validate import engine, semantic  # noqa: E402

mark("imports")
orig_ct = sc.check_table


def ct(*a, **k):
    r = orig_ct(*a, **k)
    mark(f"check_table {a[1].name}")
    return r


sc.check_table = ct
orig_fk = sc.check_foreign_keys


def fk(*a, **k):
    r = orig_fk(*a, **k)
    mark("foreign keys")
    return r


sc.check_foreign_keys = fk
orig_run = semantic.run_rule


def run_rule(rule, ctx):
    r = orig_run(rule, ctx)
    mark(f"rule {rule.name}")
    return r


semantic.run_rule = run_rule
orig_scan = engine.structure.scan_file


def scan(*a, **k):
    r = orig_scan(*a, **k)
    mark(f"scan {a[1].name}")
    return r


engine.structure.scan_file = scan
rep = engine.validate_package(sys.argv[1])
mark("done")
print(len(rep.problems), "problems")
print("max rss", __import__("resource").getrusage(0).ru_maxrss / 1024)
