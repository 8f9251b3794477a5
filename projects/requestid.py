"""Request ids: one id per request, in every log line, handed on to the Celery tasks it queues.

- `RequestIdMiddleware` takes `X-Request-ID` from the proxy (nginx sets it, see deploy/nginx.conf)
  when it looks like an id, otherwise makes one, and sends it back as `X-Request-ID`.
- `RequestIdFilter` puts it on every log record (`-` outside a request or task).
- The Celery signals below carry it in the task message's headers; the task's log lines carry it.
- `ExpectedErrorsFilter`: a 4xx (403, 404, ...) is an answer, not a fault: one line, no traceback.
"""

import contextvars
import logging
import re
import uuid

from celery import signals

HEADER = "X-Request-ID"
TASK_HEADER = "liftoff_request_id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

request_id = contextvars.ContextVar("request_id", default="-")


def current() -> str:
    return request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        rid = given if _VALID.match(given) else uuid.uuid4().hex
        request.request_id = rid
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "request_id"):
            # django.request logs a 4xx/5xx after the middleware has returned: the request still knows.
            record.request_id = getattr(getattr(record, "request", None), "request_id", None) or request_id.get()
        return True


class ExpectedErrorsFilter(logging.Filter):
    """Django logs a 403/404 with the exception's traceback; for an expected answer that is noise."""

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


@signals.before_task_publish.connect
def _add_request_id(headers=None, **kwargs):
    rid = request_id.get()
    if headers is not None and rid != "-":
        headers.setdefault(TASK_HEADER, rid)


@signals.task_prerun.connect
def _task_started(task=None, **kwargs):
    rid = getattr(task.request, TASK_HEADER, None) or (task.request.headers or {}).get(TASK_HEADER)
    task.request._liftoff_rid_token = request_id.set(rid or f"task-{task.request.id}")


@signals.task_postrun.connect
def _task_finished(task=None, **kwargs):
    token = getattr(task.request, "_liftoff_rid_token", None)
    if token is not None:
        try:
            request_id.reset(token)
        except ValueError:  # set in another context (a pool that switched threads): just clear it
            request_id.set("-")


class GunicornAccessFilter(logging.Filter):
    """gunicorn's access records carry the request's atoms as their args: lift out the fields (and the
    request id the app sent back) so the JSON line has them as keys."""

    FIELDS = {"h": "remote_addr", "m": "method", "U": "path", "s": "status", "B": "bytes", "M": "duration_ms"}

    def filter(self, record):
        atoms = record.args if isinstance(record.args, dict) else {}
        for atom, field in self.FIELDS.items():
            if atom in atoms:
                setattr(record, field, atoms[atom])
        record.request_id = atoms.get("{x-request-id}o") or "-"
        return True
