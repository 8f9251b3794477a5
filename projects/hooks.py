"""Extension points of the project core: what the other apps add to the pages `projects` owns.

`projects` imports no other app. An app registers here from its AppConfig.ready():

    from projects import hooks

    hooks.nav_item(key="testing", label=_("Testing"), url_name="defects:list", order=30)
    hooks.header_link(key="feedback", label=_("Give feedback"), url_name="hypercare:feedback_new",
                      rule="hypercare.feedback", with_next=True)

    @hooks.home_panel(key="dashboard", template="readiness/_dashboard.html", css="css/readiness.css")
    def dashboard(request, project):       # extra context for the project home, or None to hide the panel
        return {"dash": ...}

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


_nav: dict[str, NavItem] = {}
_links: dict[str, HeaderLink] = {}
_panels: dict[str, HomePanel] = {}


def nav_item(*, key, label, url_name, order=100, rule=None):
    _nav[key] = NavItem(key=key, label=label, url_name=url_name, order=order, rule=rule)


def header_link(*, key, label, url_name, rule=None, with_next=False):
    _links[key] = HeaderLink(key=key, label=label, url_name=url_name, rule=rule, with_next=with_next)


def home_panel(*, key, template, order=100, css=None):
    def decorate(func):
        _panels[key] = HomePanel(key=key, template=template, func=func, order=order, css=css)
        return func

    return decorate


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
    panels = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        try:
            context = panel.func(request, project)
        except Exception:  # noqa: BLE001 - see module docstring
            log.exception("Home panel %s failed for project %s", panel.key, project.pk)
            continue
        if context is not None:
            panels.append({"key": panel.key, "template": panel.template, "css": panel.css, "context": context})
    return panels
