"""Extension points of the project core: what the other apps add to the pages `projects` owns.

`projects` imports no other app. An app registers here from its AppConfig.ready():

    from projects import hooks

    hooks.nav_item(key="testing", label=_("Testing"), url_name="defects:list", order=30)
    hooks.header_link(key="feedback", label=_("Give feedback"), url_name="hypercare:feedback_new",
                      rule="hypercare.feedback", with_next=True)

    @hooks.home_panel(key="dashboard", template="readiness/_dashboard.html", css="css/readiness.css")
    def dashboard(request, project):       # extra context for the project home, or None to hide the panel
        return {"dash": ...}

    @hooks.calendar_feed(key="cutover", label=_("Cutover window and runs"), order=30)
    def cutover_events(project, user):     # CalendarEvents the user may see; served as .ics
        return [hooks.CalendarEvent(uid=..., summary=..., start=..., end=...)]

    hooks.page_panel(page="lessons", key="cutover_issues", template="tasks/_lessons_issues.html",
                     func=lambda request, project: {...} or None)
    @hooks.clone_part(key="runbooks", label=_("Runbooks"), count=lambda source: ..., order=30)
    def copy(source, target, actor):       # a new project from a template: copy what the app owns
        return rows_created

    hooks.project_scores(func)              # (projects) -> {id: {score, ready, blockers}} for the portfolio
    hooks.duty_source(key="cutover")(func)  # (project_ids, since) -> [Duty]: who is busy when (conflicts)

Navigation items are shown in `order`; a URL name that does not resolve is skipped (so an app
can be switched off). A home panel that crashes is logged and left out: another app's bug must
not take the project home down.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any
    url_name: str
    order: int = 100
    rule: str | None = None  # shown only to users who pass it (None: every member)


@dataclass(frozen=True)
class HeaderLink:
    key: str
    label: Any
    url_name: str
    rule: str | None = None
    with_next: bool = False  # append ?next=<current page>


@dataclass(frozen=True)
class HomePanel:
    key: str
    template: str
    func: Any
    order: int = 100
    css: str | None = None


@dataclass(frozen=True)
class CalendarEvent:
    """One event of a calendar feed. `all_day` events use the dates of `start`/`end` (end exclusive)."""

    uid: str
    summary: str
    start: Any
    end: Any
    description: str = ""
    url: str = ""
    all_day: bool = False
    status: str = "CONFIRMED"


@dataclass(frozen=True)
class CalendarFeed:
    key: str
    label: Any
    func: Any  # (project, user) -> iterable of CalendarEvent
    order: int = 100
    rule: str | None = None


_nav: dict[str, NavItem] = {}
_links: dict[str, HeaderLink] = {}
_panels: dict[str, HomePanel] = {}
_page_panels: dict[str, dict[str, HomePanel]] = {}
_feeds: dict[str, CalendarFeed] = {}


def nav_item(*, key, label, url_name, order=100, rule=None):
    _nav[key] = NavItem(key=key, label=label, url_name=url_name, order=order, rule=rule)


def header_link(*, key, label, url_name, rule=None, with_next=False):
    _links[key] = HeaderLink(key=key, label=label, url_name=url_name, rule=rule, with_next=with_next)


def home_panel(*, key, template, order=100, css=None):
    def decorate(func):
        _panels[key] = HomePanel(key=key, template=template, func=func, order=order, css=css)
        return func

    return decorate


def page_panel(*, page, key, template, func, order=100, css=None):
    """A panel another app adds to a page of `projects` or of a third app (e.g. the lessons page)."""
    _page_panels.setdefault(page, {})[key] = HomePanel(key=key, template=template, func=func, order=order, css=css)


def calendar_feed(*, key, label, order=100, rule=None):
    """Register `func(project, user)` as the project's calendar feed `key` (served as .ics)."""
    def decorate(func):
        _feeds[key] = CalendarFeed(key=key, label=label, func=func, order=order, rule=rule)
        return func

    return decorate


def calendar_feeds(user=None, project=None) -> list[CalendarFeed]:
    """The registered feeds in order; with a user and project, only those the user may open."""
    feeds = sorted(_feeds.values(), key=lambda f: (f.order, f.key))
    if user is not None:
        feeds = [f for f in feeds if _allowed(user, f.rule, project)]
    return feeds


def calendar_feed_get(key):
    return _feeds.get(key)


def _url(name, project):
    try:
        return reverse(name, args=[project.pk])
    except NoReverseMatch:
        return None


def _allowed(user, rule, project):
    return rule is None or user.has_perm(rule, project)


def navigation(user, project) -> list[dict]:
    """[{key, label, url}] of the project's sections, in order."""
    items = []
    for item in sorted(_nav.values(), key=lambda i: (i.order, i.key)):
        url = _url(item.url_name, project)
        if url and _allowed(user, item.rule, project):
            items.append({"key": item.key, "label": item.label, "url": url})
    return items


def header_links(user, project) -> list[dict]:
    links = []
    for link in _links.values():
        url = _url(link.url_name, project)
        if url and _allowed(user, link.rule, project):
            links.append({"key": link.key, "label": link.label, "url": url, "with_next": link.with_next})
    return links


def home_panels(request, project) -> list[dict]:
    """[{key, template, css, context}] for the project home, in order; a panel returning None is hidden."""
    return _render_panels(_panels, request, project)


def has_home_panels() -> bool:
    return bool(_panels)


def home_panel_css() -> list[str]:
    """The stylesheets of every home panel (linked on the home whichever tab shows, cheaply)."""
    return sorted({p.css for p in _panels.values() if p.css})


def page_panels(request, project, page) -> list[dict]:
    """The panels other apps added to `page`, like `home_panels`."""
    return _render_panels(_page_panels.get(page, {}), request, project)


def _render_panels(registry, request, project):
    panels = []
    for panel in sorted(registry.values(), key=lambda p: (p.order, p.key)):
        try:
            context = panel.func(request, project)
        except Exception:  # noqa: BLE001 - see module docstring
            log.exception("Home panel %s failed for project %s", panel.key, project.pk)
            continue
        if context is not None:
            panels.append({"key": panel.key, "template": panel.template, "css": panel.css, "context": context})
    return panels


# ----- "my work": each app lists the caller's own open work in a project -------------------------

# A source lists at most this many items of each kind (most urgent first) and says how many there are.
WORK_LIMIT = 50

# The kinds of the Wave 2 contract, in the order their ties are broken (same due time).
WORK_KINDS = ("step_to_run", "issue_to_resolve", "shift", "signoff_to_give", "defect_to_triage", "defect_to_fix",
              "defect_to_verify", "requirement_to_review", "action_due", "risk_to_review", "session_to_attend",
              "course_to_take", "check_to_do")

_work_sources: dict = {}


class Work(list):
    """What a work source returns when it lists only the first `WORK_LIMIT` items of a kind: the items
    (it is a list of them) and `totals`, per kind, how many there are in all. A plain list is fine too."""

    def __init__(self, items=(), totals=None):
        super().__init__(items)
        self.totals = dict(totals or {})


def work(items, totals=None) -> Work:
    return Work(items, totals)


def work_source(*, key, order=100):
    """Register `func(user, project)` returning [{kind, id, title, url, due_at}] of the user's open work
    (the contract's "my work" items), or a `Work` with the totals per kind. The "my work" page and API
    merge every source, most urgent first. A source makes a constant number of queries."""
    def decorate(func):
        _work_sources[key] = (order, func)
        return func

    return decorate


def _due_key(due):
    """Sortable due time: a date counts from its local midnight; None sorts last."""
    from datetime import date, datetime, time

    from django.utils import timezone

    if due is None:
        return (1, 0.0)
    if not isinstance(due, datetime) and isinstance(due, date):
        due = datetime.combine(due, time.min)
    if timezone.is_naive(due):
        due = timezone.make_aware(due)
    return (0, due.timestamp())


def kind_rank(kind):
    return WORK_KINDS.index(kind) if kind in WORK_KINDS else len(WORK_KINDS)


def work_sources() -> list:
    """[(key, func)] of the registered work sources, in their order."""
    return [(key, func) for key, (_order, func) in sorted(_work_sources.items(), key=lambda kv: (kv[1][0], kv[0]))]


def source_work(key, func, user, project):
    """(items, totals per kind) of one source for `user` in `project`. A source that crashes is logged
    and counts as empty, like a home panel."""
    try:
        result = func(user, project)
    except Exception:  # noqa: BLE001 - see module docstring
        log.exception("Work source %s failed for project %s", key, project.pk)
        return [], {}
    listed = list(result)
    counted = {}
    for item in listed:
        counted[item["kind"]] = counted.get(item["kind"], 0) + 1
    counted.update({k: max(n, counted.get(k, 0)) for k, n in getattr(result, "totals", {}).items()})
    return listed, counted


def merge_work(parts) -> dict:
    """{items, totals, count} of the sources' (items, totals): most urgent first (no due date last), how
    many of each kind there are (a source lists at most `WORK_LIMIT` of a kind) and their sum."""
    items, totals = [], {}
    for listed, counted in parts:
        items.extend(listed)
        for kind, n in counted.items():
            totals[kind] = totals.get(kind, 0) + n
    items.sort(key=lambda i: (_due_key(i.get("due_at")), kind_rank(i["kind"]), i["kind"], i["id"]))
    return {"items": items, "totals": {k: n for k, n in totals.items() if n}, "count": sum(totals.values())}


def my_work_summary(user, project) -> dict:
    """{items, totals, count}: every registered source's items for `user` in `project` (`merge_work`)."""
    return merge_work(source_work(key, func, user, project) for key, func in work_sources())


def my_work(user, project) -> list[dict]:
    """The items of `my_work_summary`, most urgent first."""
    return my_work_summary(user, project)["items"]


# ----- project from a template: each app copies what it owns into the new project ---------------

@dataclass(frozen=True)
class ClonePart:
    key: str
    label: Any
    func: Any  # (source, target, actor) -> int: how many rows it created
    count: Any  # (source) -> int: how many it would copy (the "new project from this one" page shows it)
    order: int = 100


_clone_parts: dict[str, ClonePart] = {}


def clone_part(*, key, label, count, order=100):
    """Register `func(source, target, actor)` copying what the app owns from `source` into the new
    `target` (runbooks, courses, SLA...): templates only, never people or what happened. It runs inside
    `services.project_clone`'s transaction, in `order`: unlike a panel, a part that fails fails the
    whole copy (all or nothing), so nothing here catches its errors."""
    def decorate(func):
        _clone_parts[key] = ClonePart(key=key, label=label, func=func, count=count, order=order)
        return func

    return decorate


def clone_parts() -> list[ClonePart]:
    return sorted(_clone_parts.values(), key=lambda p: (p.order, p.key))


# ----- the portfolio: readiness per project and who is busy when, across projects ----------------

_score_provider: dict = {}


def project_scores(func):
    """Register `func(projects)` → {project id: {"score", "ready", "blockers"}} (readiness does, so the
    portfolio can show scores without `projects` importing it). One provider; the last one wins."""
    _score_provider["func"] = func
    return func


def scores_for(projects) -> dict:
    """{project id: {score, ready, blockers}}; empty without a provider or when it fails (logged)."""
    func = _score_provider.get("func")
    if func is None:
        return {}
    try:
        return func(list(projects)) or {}
    except Exception:  # noqa: BLE001 - the portfolio still lists the launches
        log.exception("Project scores failed")
        return {}


@dataclass(frozen=True)
class Duty:
    """A person committed to a project for a time: on call, or owning cutover steps in its window."""

    user_id: int
    project_id: int
    starts_at: Any
    ends_at: Any
    kind: str  # "shift", "runbook_step", "run_step"


_duty_sources: dict = {}


def duty_source(*, key):
    """Register `func(project_ids, since)` → iterable of `Duty` ending after `since`, in a constant
    number of queries however many projects (the portfolio's conflicts come from these)."""
    def decorate(func):
        _duty_sources[key] = func
        return func

    return decorate


def duties(project_ids, since) -> list[Duty]:
    found = []
    for key, func in sorted(_duty_sources.items()):
        try:
            found.extend(func(project_ids, since))
        except Exception:  # noqa: BLE001 - one app's bug must not take the portfolio down
            log.exception("Duty source %s failed", key)
    return found


_reader_state: dict = {}


def reader_state(*, key):
    """Register `func(user)` → a short value that a page of this reader shows besides the project's data
    (the notifications app: the unread count of the bell). A cached page (projects.pagecache) is kept per
    these values, so it is rebuilt when one changes."""
    def decorate(func):
        _reader_state[key] = func
        return func

    return decorate


def reader_states(user) -> str:
    return ",".join(f"{key}={func(user)}" for key, func in sorted(_reader_state.items()))
