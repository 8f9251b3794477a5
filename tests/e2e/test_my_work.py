"""Browser walk-through of "my work": a staff member, developer, tester, reviewer (business), trainer and
ops engineer each log in, land on their own work (not the manager's dashboard) and open their first
piece of work from it; the top bar's "My work" link brings them back. A CSP violation or a JavaScript
error shows up as a console error and fails the test."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from defects.models import Status
from projects import services as project_services
from tests.defects.factories import defect_in
from tests.projects.factories import member
from tests.requirements.factories import submitted
from tests.training.factories import make_course, make_session
from tests.utils import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_each_role_walks_from_login_to_their_first_piece_of_work(browser, live_server, project, users):
    course = make_course(project, users["trainer"], title="Teller basics")
    session = make_session(course, users["trainer"], trainer=users["trainer"])
    to_fix = defect_in(project, Status.OPEN, reporter=users["tester"], assignee=users["developer"],
                       title="Interest rounding")
    to_retest = defect_in(project, Status.FIXED, reporter=users["tester"], title="Statement date")
    requirement = submitted(project, author=member(project, "business"), title="Real-time balance")
    now = timezone.now()
    shift = project_services.shift_create(actor=users["manager"], project=project, user=users["ops"],
                                          starts_at=now + timedelta(hours=2), ends_at=now + timedelta(hours=10))
    walks = {
        "staff": ("Teller basics", f"/training/courses/{course.pk}/", "h1"),
        "developer": ("Interest rounding", f"/testing/defects/{to_fix.pk}/", "h1"),
        "tester": ("Statement date", f"/testing/defects/{to_retest.pk}/", "h1"),
        "business": ("Real-time balance", f"/requirements/{requirement.pk}/", "h1"),
        "trainer": ("You teach: Teller basics", f"/training/sessions/{session.pk}/", "h1"),
        "ops": ("On call (primary)", "/team/rota/", "h1"),
    }
    assert shift.pk
    for role, (title, path, heading) in walks.items():
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        errors = []
        page.on("console", lambda msg, errors=errors: msg.type == "error" and errors.append(msg.text))
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        login(page, live_server, users[role].username)
        page.goto(f"{live_server.url}/projects/{project.pk}/")
        work = page.locator("#my-work")
        expect(work).to_be_visible()
        assert page.locator("text=Not ready to go live").count() == 0, role  # not the manager's dashboard
        first = work.locator("tbody tr").first
        expect(first).to_contain_text(title)
        first.locator("a").click()
        page.wait_for_load_state("networkidle")
        assert page.url.split("?")[0].split("#")[0] == f"{live_server.url}/projects/{project.pk}{path}", role
        expect(page.locator(heading).first).to_be_visible()
        # The top bar counts the work and leads back to it.
        badge = page.locator(".topbar .mywork-link")
        expect(badge.locator(".mywork-count")).to_have_text("1")
        badge.click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("#my-work")).to_be_visible()
        assert errors == [], (role, errors)
        context.close()


def test_filtering_by_kind_swaps_the_list_in_place(page, live_server, project, users):
    make_course(project, users["trainer"], title="Deposits", required_roles=("developer",))
    defect_in(project, Status.OPEN, reporter=users["tester"], assignee=users["developer"], title="Interest rounding")
    login(page, live_server, users["developer"].username)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    expect(page.locator("#my-work tbody tr")).to_have_count(2)
    page.click("#my-work .mywork-kinds a.kind-course_to_take")
    expect(page.locator("#my-work tbody tr")).to_have_count(1)
    expect(page.locator("#my-work tbody")).to_contain_text("Deposits")
    page.click("#my-work .mywork-kinds a:first-child")
    expect(page.locator("#my-work tbody tr")).to_have_count(2)
    page.click("a[href='?tab=dashboard']")
    page.wait_for_load_state("networkidle")
    expect(page.locator("text=Not ready to go live")).to_be_visible()
    assert page.console_errors == []
