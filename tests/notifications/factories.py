from itertools import count

from notifications import services

_seq = count()


def notification(recipient, *, project=None, kind="test_kind", message="Something needs you", url="", **kwargs):
    """A notification built through the service (like every app does)."""
    key = kwargs.pop("dedupe_key", None) or f"test:{recipient.pk}:{next(_seq)}"
    return services.notify(recipient=recipient, kind=kind, message=message, dedupe_key=key, project=project,
                           url=url, **kwargs)


def many(recipient, n, **kwargs):
    return [notification(recipient, **kwargs) for _ in range(n)]
