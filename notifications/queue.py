"""Handing work to the Celery worker, by task name.

Services queue work here (after their transaction commits); `notifications.tasks` registers
the tasks under these names and calls the services. Neither module imports the other: the
names are the contract. If the broker is down nothing is lost: the rows wait in the outbox and
the next sweep (or `manage.py send_reminders`) queues them again.
"""

import logging
import time

from celery import current_app

log = logging.getLogger(__name__)

DELIVER_NOTIFICATION = "notifications.tasks.deliver_notification"
DELIVER_OUTBOX = "notifications.tasks.deliver_outbox"
SWEEP = "notifications.tasks.sweep"
DELIVER_CHANNEL = "notifications.tasks.deliver_channel"
ESCALATE = "notifications.tasks.escalate"

BROKER_CHECK_SECONDS = 15
_broker_state = {"ok": True, "checked": 0.0}


def broker_available() -> bool:
    """Is the broker up? A 0.3 s ping, remembered for 15 s per process.

    Publishing to a dead Redis makes kombu retry its connection for seconds; a request that
    notifies somebody must not wait for that."""
    now = time.monotonic()
    if now - _broker_state["checked"] > BROKER_CHECK_SECONDS:
        from projects.health import broker_ok

        _broker_state["ok"], reason = broker_ok(timeout=0.3)
        _broker_state["checked"] = now
        if not _broker_state["ok"]:
            log.warning("Broker unavailable (%s): notifications wait in the outbox", reason)
    return _broker_state["ok"]


def send_task(name, args):
    """The one place a message reaches the broker (tests replace it)."""
    current_app.send_task(name, args=list(args), retry=False)


def send_task_later(name, args, countdown):
    """Like send_task, to run in `countdown` seconds (tests replace it too)."""
    current_app.send_task(name, args=list(args), countdown=countdown, retry=False)


def publish(name, *, args=(), what, countdown=None) -> bool:
    """Queue task `name`; False (and a log line) when the broker is down: the outbox keeps the work."""
    if not broker_available():
        return False
    try:
        if countdown:
            send_task_later(name, args, countdown)
        else:
            send_task(name, args)
    except Exception as exc:  # noqa: BLE001 - broker unreachable: the outbox keeps it
        _broker_state.update(ok=False, checked=time.monotonic())
        log.warning("Broker unavailable, %s waits in the outbox: %s", what, exc)
        return False
    return True


def enqueue_delivery(notification_id) -> bool:
    """Ask a worker to send one notification. Broker down: the row stays pending and the sweep retries."""
    return publish(DELIVER_NOTIFICATION, args=[notification_id], what=f"notification {notification_id}")


def enqueue_outbox() -> bool:
    """Ask a worker to send whatever is pending. Broker down: the next sweep asks again."""
    return publish(DELIVER_OUTBOX, what="the outbox")


def enqueue_channel(channel_id, *, countdown=None) -> bool:
    """Ask a worker to send a channel's pending messages (later, when its rate limit is reached).
    Broker down: the rows stay pending and the escalation sweep (every minute) sends them."""
    return publish(DELIVER_CHANNEL, args=[channel_id], what=f"channel {channel_id}", countdown=countdown)
