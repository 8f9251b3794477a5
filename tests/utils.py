"""Helpers shared by the test modules of every app."""

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")),
    reason="needs PostgreSQL (CI sets DATABASE_URL)",
)


def api_as(user=None):
    """An APIClient authenticated as `user` (anonymous when None)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def count_queries(func, warm_up=True):
    """Run func() and return (result, number of SQL queries it made).

    With warm_up, func() runs once first so one-off work (session refresh, content types,
    caches) does not count."""
    if warm_up:
        func()
    with CaptureQueriesContext(connection) as ctx:
        result = func()
    return result, len(ctx.captured_queries)


def htmx(client, url, **kwargs):
    """GET `url` as htmx would (HX-Request header)."""
    return client.get(url, headers={"HX-Request": "true"}, **kwargs)


def login(page, live_server, username, password="correct-horse-battery"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def run_concurrently(n, target, expected=()):
    """Run target(0) … target(n-1) in n threads released together (each with its own database
    connection, closed at the end); returns results and any exception of the `expected` types."""
    import threading

    from projects.errors import DomainError

    expected = tuple(expected) or (DomainError,)
    barrier, out = threading.Barrier(n), []

    def work(i):
        try:
            barrier.wait(timeout=10)
            out.append(target(i))
        except expected as exc:
            out.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out
