"""Benchmark the cutover forecast (critical-path scheduling) on large runbooks. Prints figures.

    .venv/bin/python scripts/bench_forecast.py
"""

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.forecast import Node, schedule  # noqa: E402

T0 = datetime(2027, 1, 2, 20, 0, tzinfo=UTC)


def nodes(n, done_share=0.25):
    done = int(n * done_share)
    out = []
    for i in range(n):
        deps = [j for j in (i - 1, i - 7, i - 31) if j >= 0]
        out.append(Node(i, deps, 5 + i % 13, order=i, status="done" if i < done else "pending",
                        actual_start=T0 + timedelta(minutes=i) if i < done else None,
                        actual_end=T0 + timedelta(minutes=i + 1) if i < done else None))
    return out


print(f"{'steps':>6} {'median ms':>10} {'min ms':>8}")
for n in (30, 200, 2000, 10000):
    graph = nodes(n)
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        schedule(graph, planned_start=T0, now=T0 + timedelta(minutes=n // 4))
        times.append((time.perf_counter() - t0) * 1000)
    print(f"{n:>6} {statistics.median(times):>10.2f} {min(times):>8.2f}")
