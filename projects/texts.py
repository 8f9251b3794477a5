"""Sentences stored as a key and parameters, rendered in the reader's language when they are read.

A text written once and read later by somebody else (a notification, a chat message, the frozen
evidence of a go/no-go meeting) must not be rendered when it is written: the reader may read
another language than the writer, or change theirs. So the row keeps what the sentence *is* (a
registered template's key) and what fills it in (JSON parameters), and renders it on display::

    DEFECT_ASSIGNED = template("defect_assigned", gettext_lazy("%(key)s “%(title)s” (%(severity)s) was assigned to you."),
                               labels={"severity": Severity})
    text = DEFECT_ASSIGNED(key="D-7", title="…", severity="major")   # a Text: str(text) renders now
    text.as_json()                                # {"key": "defect_assigned", "params": {...}} to store
    render(stored_key, stored_params, fallback=row.message)           # later, in the active language

- The template is a `gettext_lazy` / `pgettext_lazy` msgid with named placeholders, `%(name)s`
  or `{name}` (both styles are in the catalogue already); `ngettext_lazy(singular, plural, "n")`
  for a plural, whose number is the parameter `n`.
- Parameters are plain JSON (str, int, float, bool, None, lists). Those that are themselves
  translatable (a status, a severity, a role) are stored as their key and named in `labels`:
  a `TextChoices` class or a mapping key → lazy label, or a function value → text. A parameter
  may also be another `Text` (stored nested, rendered in the same language).
- `render` never raises for stored data: an unknown key (a template retired since) or parameters
  that no longer fit give the `fallback` (the text rendered when the row was written).

This module is the core's: it imports no app, and any app registers its templates (keys are
global, so an app prefixes them when the kind alone would be ambiguous).
"""

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.utils.functional import Promise

log = logging.getLogger(__name__)

NESTED = "$text"  # marks a nested Text inside stored parameters


class Template:
    """A registered translatable sentence. Call it with the parameters to get a `Text`."""

    __slots__ = ("key", "text", "labels", "plural")

    def __init__(self, key: str, text, *, labels: Mapping[str, Any] | None = None):
        self.key = key
        self.text = text
        self.labels = {name: _label_function(spec) for name, spec in (labels or {}).items()}
        # ngettext_lazy("…", "…", "n") makes a proxy that picks its form from the parameters:
        # it cannot be translated once and reused for every row.
        self.plural = _is_plural(text)

    def __call__(self, **params) -> "Text":
        return Text(self, params)

    def __repr__(self):
        return f"<Template {self.key}>"

    def translated(self) -> str | None:
        """The template in the active language, for rendering many rows with one lookup (None: a plural)."""
        return None if self.plural else str(self.text)

    def render(self, params: Mapping[str, Any], translated: str | None = None) -> str:
        """The sentence in the active language. `translated`: `self.translated()`, looked up once for a batch."""
        values = dict(params)
        for name, value in values.items():
            if name in self.labels:
                values[name] = str(self.labels[name](value))
            elif isinstance(value, Text):
                values[name] = str(value)
            elif isinstance(value, dict) and NESTED in value:
                values[name] = render(value[NESTED], value.get("params") or {}, fallback="")
        if self.plural:
            return str(self.text % values)
        pattern = translated if translated is not None else str(self.text)
        return pattern % values if "%(" in pattern else pattern.format(**values)


def _is_plural(text) -> bool:
    """Whether `text` is an `ngettext_lazy(…, …, "n")`: its pickled form names Django's number-aware proxy."""
    if not isinstance(text, Promise):
        return False
    try:
        return text.__reduce__()[0].__name__ == "_lazy_number_unpickle"
    except (AttributeError, TypeError, IndexError):
        return False


def _label_function(spec) -> Callable[[Any], Any]:
    if callable(spec) and not isinstance(spec, type):
        return spec
    choices = getattr(spec, "choices", None)
    mapping = dict(choices) if choices is not None else dict(spec)
    return lambda value: mapping.get(value, "" if value is None else value)


class Text:
    """A template and its parameters: what a row stores instead of the sentence. `str()` renders it
    in the active language."""

    __slots__ = ("template", "params")

    def __init__(self, template: Template, params: dict):
        self.template = template
        self.params = params

    @property
    def key(self):
        return self.template.key

    def json_params(self) -> dict:
        if not any(isinstance(v, Text) for v in self.params.values()):
            return self.params
        return {k: ({NESTED: v.key, "params": v.json_params()} if isinstance(v, Text) else v)
                for k, v in self.params.items()}

    def as_json(self) -> dict:
        return {"key": self.key, "params": self.json_params()}

    def render(self, translated: str | None = None) -> str:
        return self.template.render(self.params, translated)

    def __str__(self):
        return self.render()

    def __repr__(self):
        return f"<Text {self.key} {self.params!r}>"


_templates: dict[str, Template] = {}


def template(key: str, text, *, labels: Mapping[str, Any] | None = None) -> Template:
    """Register (or re-register, on a re-import) the template `key`; returns it."""
    registered = Template(key, text, labels=labels)
    _templates[key] = registered
    return registered


def template_for(key: str) -> Template | None:
    return _templates.get(key)


def render(key: str, params: Mapping[str, Any] | None, *, fallback: str = "") -> str:
    """The stored text `key` + `params` in the active language; `fallback` when it cannot be rendered."""
    found = _templates.get(key) if key else None
    if found is None:
        return fallback
    try:
        return found.render(params or {})
    except (KeyError, ValueError, TypeError, IndexError):  # stored parameters that no longer fit the template
        log.warning("Text %s could not be rendered with %r; showing the stored text", key, params)
        return fallback


def from_json(data) -> Text | None:
    """A stored {"key", "params"} back as a Text (None when the key is unknown)."""
    if not isinstance(data, dict):
        return None
    found = _templates.get(data.get("key") or "")
    return Text(found, dict(data.get("params") or {})) if found else None
