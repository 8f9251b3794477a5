import pytest


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Tests never talk to Redis: queued work is recorded instead (call the tasks explicitly)."""
    queued = []
    from notifications import queue

    monkeypatch.setattr(queue, "broker_available", lambda: True)
    monkeypatch.setattr(queue, "_broker_state", {"ok": True, "checked": 0.0})  # no state leaks between tests
    names = {queue.DELIVER_NOTIFICATION: "deliver_notification", queue.DELIVER_OUTBOX: "outbox", queue.SWEEP: "sweep"}
    monkeypatch.setattr(queue, "send_task", lambda name, args: queued.append((names[name], list(args))))
    return queued


@pytest.fixture
def queued(_no_broker):
    return _no_broker
