""""My work": the caller's own open work in a project, for the project home, the top bar and the API.

The items come from the sources other apps register with `projects.hooks.work_source`; this module
labels them for a page and keeps the top bar's count cheap. Every page of a project shows that count,
and asking every source costs a couple of dozen queries, so each source's part is cached per person,
project and language for `TTL` seconds. An audited change in the project (simple-history writes a
historical row for every tracked model) bumps the version of its app (`projects.freshness`), so the
next page recounts the parts that depend on it; what changes without a historical row (time passing,
a bulk update) is picked up within the TTL. With the cache down the
count is computed (the cache is an optimisation).
"""

from datetime import datetime
from functools import partial

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import freshness, hooks

TTL = 60  # seconds

KIND_LABELS = {
    "step_to_run": _("Cutover step"),
    "issue_to_resolve": _("Cutover issue"),
    "shift": _("On-call shift"),
    "signoff_to_give": _("Go/no-go sign-off"),
    "defect_to_triage": _("Defect to triage"),
    "defect_to_fix": _("Defect to fix"),
    "defect_to_verify": _("Fix to re-test"),
    "requirement_to_review": _("Requirement to review"),
    "action_due": _("Meeting action"),
    "risk_to_review": _("Risk to review"),
    "session_to_attend": _("Training session"),
    "course_to_take": _("Course to take"),
    "check_to_do": _("Environment check"),
}


def cached_summary(user, project) -> dict:
    """`hooks.my_work_summary` for `user` in `project`, cached as described above: each source's part per
    person, project and language under the version of the source's app and of `projects` (memberships,
    roles), so a defect filed recounts the defects part only. The home page, the top bar's count and the
    API share it. Three cache round trips, whatever the number of sources."""
    language = get_language()
    parts = [(f"mywork:{user.pk}:{language}:{key}", (func.__module__.split(".")[0], "projects"),
              partial(hooks.source_work, key, func, user, project)) for key, func in hooks.work_sources()]
    return hooks.merge_work(freshness.cached_parts(project.pk, parts, ttl=TTL))


def open_count(user, project) -> int:
    """How many open items `user` has in `project` (the top bar's badge)."""
    if not user.is_authenticated:
        return 0
    return cached_summary(user, project)["count"]


def count_for_request(request, project) -> int:
    """`open_count` of the request's user, once per request (the top bar and the page cache's key both ask)."""
    counts = request.__dict__.setdefault("_my_work_counts", {})
    if project.pk not in counts:
        counts[project.pk] = open_count(request.user, project)
    return counts[project.pk]


def for_page(user, project, now=None, kind=None, limit=None) -> dict:
    """The summary with each item labelled for the home page: `label` (its kind), `overdue`, and for
    an on-call shift under way `current`; `kinds` [(kind, label, total, listed)] for the filter chips,
    `more` [(label, not listed)] where a kind has more than a source lists. With `kind` (one of the
    kinds there are) only its items are in `items`; with `limit` at most that many, `hidden` saying how
    many more there are."""
    now = now or timezone.now()
    summary = cached_summary(user, project)
    summary["kind"] = kind if kind in summary["totals"] else None
    for item in summary["items"]:
        item["label"] = KIND_LABELS.get(item["kind"], item["kind"])
        due = item.get("due_at")
        ends = item.get("ends_at")
        item["current"] = bool(ends and due and due <= now < ends)
        item["overdue"] = isinstance(due, datetime) and not item["current"] and due < now
    listed = {}
    for item in summary["items"]:
        listed[item["kind"]] = listed.get(item["kind"], 0) + 1
    summary["kinds"] = [(kind, KIND_LABELS.get(kind, kind), n, listed.get(kind, 0))
                        for kind, n in sorted(summary["totals"].items(), key=lambda kv: hooks.kind_rank(kv[0]))]
    summary["more"] = [(label, n - shown) for _kind, label, n, shown in summary["kinds"] if n > shown]
    if summary["kind"]:
        summary["items"] = [i for i in summary["items"] if i["kind"] == summary["kind"]]
    # The home shows the most urgent first and the rest on request (`limit`: how many; None: all).
    summary["hidden"] = max(0, len(summary["items"]) - limit) if limit else 0
    if summary["hidden"]:
        summary["items"] = summary["items"][:limit]
    return summary
