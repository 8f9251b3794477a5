"""Messages that are rendered later, in the language of the person who receives them."""

from django.utils.functional import lazy


def _render(template, values):
    return str(template) % {key: value() if callable(value) else value for key, value in values.items()}


def lazy_format(template, **values):
    """`gettext_lazy("…%(x)s…")` filled with values; callables are called at render time
    (e.g. `run.__str__`-like labels that contain translated words)."""
    return lazy(_render, str)(template, values)
