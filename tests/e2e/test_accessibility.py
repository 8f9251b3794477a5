"""Accessibility and phones (issue 17), on the demo launch (`seed_demo`: every page has real rows,
pills, charts and forms to check).

- axe-core (bundled by axe-playwright-python) over every main page, in English and in Chinese, at
  1366 px and at 390 px: no violation of impact "serious" or "critical" (WCAG 2.1 A/AA rules:
  contrast, names of buttons, links and inputs, landmarks, lang, nested controls, ...).
- At 390 px and 360 px no page is wider than the screen (tables scroll inside their card, forms
  stack, the header folds into a menu).
- The header menu works on a phone (a <details> disclosure; no inline script), the skip link
  reaches the content, and <html lang> follows the active language.

Every page is visited in one test: the demo is loaded once (it takes a while), and the failures of
all pages are reported together, so one run shows everything left to fix."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.utils import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "liftoff-demo-2026"
LANGUAGES = ("en", "zh-hans")
DESKTOP, PHONE, SMALL_PHONE = 1366, 390, 360
BLOCKING = ("serious", "critical")

# (name, path) — `{p}` the demo project, the other ids from `demo_ids`.
PAGES = [
    ("project home", "/projects/{p}/"),
    ("roster", "/projects/{p}/team/"),
    ("RACI", "/projects/{p}/team/raci/"),
    ("rota", "/projects/{p}/team/rota/"),
    ("milestone", "/projects/{p}/milestones/{milestone}/"),
    ("requirements", "/projects/{p}/requirements/"),
    ("review queue", "/projects/{p}/requirements/review/"),
    ("requirements progress", "/projects/{p}/requirements/progress/"),
    ("requirement page", "/projects/{p}/requirements/{requirement}/"),
    ("conflicts", "/projects/{p}/requirements/conflicts/"),
    ("defects", "/projects/{p}/testing/"),
    ("defect board", "/projects/{p}/testing/board/"),
    ("defect form", "/projects/{p}/testing/new/"),
    ("defect page", "/projects/{p}/testing/defects/{defect}/"),
    ("defect metrics", "/projects/{p}/testing/metrics/"),
    ("test cycles", "/projects/{p}/testing/cycles/"),
    ("training catalogue", "/projects/{p}/training/"),
    ("my training", "/projects/{p}/training/mine/"),
    ("training coverage", "/projects/{p}/training/coverage/"),
    ("runbooks", "/projects/{p}/cutover/"),
    ("runbook", "/projects/{p}/cutover/runbooks/{runbook}/"),
    ("run board", "/projects/{p}/cutover/runs/{run}/"),
    ("rehearsal comparison", "/projects/{p}/cutover/runbooks/{runbook}/compare/"),
    ("work items", "/projects/{p}/cutover/prep/"),
    ("contingency plan", "/projects/{p}/cutover/contingency/"),
    ("environment checklists", "/projects/{p}/cutover/environment/"),
    ("hypercare dashboard", "/projects/{p}/hypercare/"),
    ("readiness scorecard", "/projects/{p}/readiness/"),
    ("risks", "/projects/{p}/risks/"),
    ("meetings", "/projects/{p}/meetings/"),
    ("status report", "/projects/{p}/status-report/"),
    ("inbox", "/notifications/"),
    ("my projects", "/"),
    ("portfolio", "/portfolio/"),
]

# The widest element that is not inside a scrolling box: names the culprit of an overflow.
WIDEST_ESCAPEE = """() => {
  const width = document.documentElement.clientWidth; const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right <= width + 1 || box.width === 0) continue;
    // Inside a scroll box, unless positioned out of it (its containing block is then further up).
    let up = el.parentElement, contained = false;
    const position = getComputedStyle(el).position;
    while (position !== 'absolute' && position !== 'fixed' && up && up !== document.body) {
      const x = getComputedStyle(up).overflowX;
      if (x === 'auto' || x === 'scroll' || x === 'hidden') { contained = true; break; }
      up = up.parentElement;
    }
    if (!contained) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
      + ' → ' + Math.round(box.right) + 'px');
  }
  return out.slice(-3).join(', ');
}"""


@pytest.fixture
def demo_ids(settings):
    settings.CELERY_BROKER_URL = "memory://"  # the demo's reminders wait in the outbox
    call_command("seed_demo", allow_without_debug=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    from defects.models import Defect
    from projects.models import Milestone, Project
    from requirements.models import Requirement, RequirementStatus
    from tasks.models import Run

    project = Project.objects.order_by("pk").first()
    run = Run.objects.filter(runbook__project=project).order_by("pk").first()
    return {
        "p": project.pk,
        "milestone": Milestone.objects.filter(project=project).order_by("pk").first().pk,
        "defect": Defect.objects.filter(project=project).order_by("pk").first().pk,
        "runbook": run.runbook_id,
        "run": run.pk,
        # a submitted one: the page shows the reviewer's decision form and the author's withdraw
        "requirement": Requirement.objects.filter(project=project, status=RequirementStatus.SUBMITTED)
        .order_by("pk").first().pk,
    }


def _overflow(page):
    """'' when the page fits the viewport, else how wide it is and what sticks out."""
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll_width <= inner_width:
        return ""
    return f"{scroll_width}px wide at {inner_width}px ({page.evaluate(WIDEST_ESCAPEE)})"


def _blocking_violations(axe, page):
    results = axe.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            found.append(f"{violation['impact']} {violation['id']} ({violation['help']}): {targets}")
    return found


def test_every_main_page_passes_axe_and_fits_a_phone_in_both_languages(browser, live_server, demo_ids):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    failures = []
    for language in LANGUAGES:
        context = browser.new_context(viewport={"width": DESKTOP, "height": 900})
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        console_errors = []
        page.on("console", lambda msg, errors=console_errors: msg.type == "error" and errors.append(msg.text))
        login(page, live_server, "pm", password=DEMO_PASSWORD)
        for name, template in PAGES:
            url = live_server.url + template.format(**demo_ids)
            for width in (DESKTOP, PHONE, SMALL_PHONE):
                where = f"{name} [{language}, {width}px]"
                page.set_viewport_size({"width": width, "height": 900})
                response = page.goto(url)
                page.wait_for_load_state("networkidle")
                if response.status != 200:
                    failures.append(f"{where}: HTTP {response.status}")
                    continue
                assert page.get_attribute("html", "lang") == language
                if width != DESKTOP and (too_wide := _overflow(page)):
                    failures.append(f"{where}: {too_wide}")
                if width != SMALL_PHONE:
                    failures.extend(f"{where}: {v}" for v in _blocking_violations(axe, page))
        failures.extend(f"console [{language}]: {e}" for e in console_errors)
        context.close()
    assert failures == [], "\n".join(failures)


def test_phone_header_folds_into_a_menu_and_skip_link_reaches_content(browser, live_server, project, users):
    context = browser.new_context(viewport={"width": SMALL_PHONE, "height": 740})
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    login(page, live_server, users["manager"].username)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    menu = page.locator("details.topbar-menu")
    log_out = page.locator(".topbar-menu button", has_text="Log out")
    # Folded on a phone: the log-out button is hidden until "Menu" is opened.
    expect(menu).not_to_have_attribute("open", "")
    expect(log_out).to_be_hidden()
    page.click("details.topbar-menu > summary")
    expect(log_out).to_be_visible()
    # Escape folds it again and gives the focus back to "Menu".
    page.keyboard.press("Escape")
    expect(log_out).to_be_hidden()
    expect(page.locator("details.topbar-menu > summary")).to_be_focused()
    # The language switch is inside the menu and still works.
    page.click("details.topbar-menu > summary")
    page.click("button[name=language][value=zh-hans]")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE
    # The first Tab reaches the skip link, which moves the focus to the main content.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # On a wide screen the same bar is laid out inline, with no "Menu" button.
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    expect(page.locator("details.topbar-menu > summary")).to_be_hidden()
    expect(page.locator(".topbar-menu button[name=language][value=en]")).to_be_visible()
    assert errors == []
    context.close()
