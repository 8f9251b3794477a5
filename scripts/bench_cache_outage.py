"""How long requests wait on the cache while Redis is down or hanging (a figure, not a test).

    .venv/bin/python scripts/bench_cache_outage.py

Prints, for a port where nothing listens and for a socket that accepts but never answers, the time of
the first cache call (bounded by the socket timeout) and of the next hundred (answered by the breaker).
"""

import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from projects.cache import FaultTolerantRedisCache  # noqa: E402

TIMEOUT = 0.25


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(label, location):
    cache = FaultTolerantRedisCache(location, {"OPTIONS": {"socket_connect_timeout": TIMEOUT,
                                                           "socket_timeout": TIMEOUT}})
    started = time.perf_counter()
    cache.get("k")
    first = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(100):
        cache.get("k")
    rest = time.perf_counter() - started
    print(f"{label:<16} first call {first * 1000:7.1f} ms   next 100 calls {rest * 1000:7.2f} ms")


if __name__ == "__main__":
    measure("redis down", f"redis://127.0.0.1:{_free_port()}/0")
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(16)
    measure("redis hanging", f"redis://127.0.0.1:{hanging.getsockname()[1]}/0")
    hanging.close()
