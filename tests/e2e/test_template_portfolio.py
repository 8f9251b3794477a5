"""Browser walk-through of issue 18: a new project from a template, then the portfolio of both launches.
A CSP violation or a JavaScript error shows up as a console error and fails the test."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from projects.models import Project
from tests.projects.factories import UserFactory, member
from tests.tasks.factories import runbook, step
from tests.utils import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_manager_clones_then_sees_the_portfolio(page, live_server, project):
    pm = member(project, "manager", user=UserFactory(username="staff-pm", is_staff=True))
    step(runbook(project, pm, name="Cutover"), pm, "Deploy", 30)
    login(page, live_server, pm.username)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.click(f'a[href="/projects/{project.pk}/clone/"]')
    expect(page.locator("#clone-parts")).to_contain_text("Runbooks and their steps")
    start = timezone.localtime() + timedelta(days=40)
    page.fill("input[name=name]", "Branch rollout 2")
    page.fill("input[name=code]", "branch-2")
    page.fill("input[name=go_live_at]", (start + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=window_start]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=window_end]", (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"))
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    new = Project.objects.get(code="branch-2")
    assert page.url.endswith(f"/projects/{new.pk}/")
    page.goto(f"{live_server.url}/")
    page.click('a[href="/portfolio/"]')
    expect(page.locator("#portfolio tbody tr")).to_have_count(2)
    page.click("main .page-head a.btn")  # Refresh: the board is swapped in by htmx
    expect(page.locator("#portfolio")).to_contain_text("branch-2")
    assert page.console_errors == []
