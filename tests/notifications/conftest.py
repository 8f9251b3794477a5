import pytest


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Tests never talk to Redis: queued work is recorded instead (call the tasks explicitly)."""
    queued = []
    from notifications import services, tasks

    monkeypatch.setattr(services, "broker_available", lambda: True)
    monkeypatch.setattr(services, "_broker_state", {"ok": True, "checked": 0.0})  # no state leaks between tests

    monkeypatch.setattr(tasks.deliver_notification, "apply_async",
                        lambda args=None, **kw: queued.append(("deliver_notification", args)))
    monkeypatch.setattr(tasks.deliver_outbox, "apply_async", lambda args=None, **kw: queued.append(("outbox", args)))
    return queued


@pytest.fixture
def queued(_no_broker):
    return _no_broker
