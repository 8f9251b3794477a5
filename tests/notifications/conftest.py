import pytest


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Tests never talk to Redis: queued work is recorded instead (call the tasks explicitly)."""
    queued = []
    from notifications import queue

    monkeypatch.setattr(queue, "broker_available", lambda: True)
    monkeypatch.setattr(queue, "_broker_state", {"ok": True, "checked": 0.0})  # no state leaks between tests
    names = {queue.DELIVER_NOTIFICATION: "deliver_notification", queue.DELIVER_OUTBOX: "outbox", queue.SWEEP: "sweep",
             queue.DELIVER_CHANNEL: "deliver_channel", queue.ESCALATE: "escalate"}
    monkeypatch.setattr(queue, "send_task", lambda name, args: queued.append((names[name], list(args))))
    monkeypatch.setattr(queue, "send_task_later",
                        lambda name, args, countdown: queued.append((names[name], list(args), countdown)))
    return queued


@pytest.fixture
def queued(_no_broker):
    return _no_broker


@pytest.fixture
def robots():
    """The local chat-platform stand-in (tests/notifications/robot_server.py), running for the test."""
    from tests.notifications.robot_server import RobotServer

    with RobotServer() as server:
        yield server
