"""Browser walk-through: log in, use the team pages with htmx, switch to Chinese. A CSP
violation or a JavaScript error shows up as a console error and fails the test."""

import pytest
from playwright.sync_api import expect

from tests.utils import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_walks_team_pages_without_console_errors(page, live_server, project, users):
    login(page, live_server, users["manager"].username)
    page.goto(f"{live_server.url}/projects/{project.pk}/team/")
    assert page.locator("#roster-table").is_visible()
    # htmx filter: choose a role, the table is swapped in place.
    page.select_option("select[name=role]", "tester")
    expect(page.locator("#roster-table tbody tr")).to_have_count(1)
    assert users["tester"].username in page.inner_text("#roster-table")
    # RACI: set a first responsibility through the form, then change the cell in place (htmx).
    page.goto(f"{live_server.url}/projects/{project.pk}/team/raci/")
    page.fill("#set-responsibility input[name=area]", "Data migration")
    # The person box suggests members as one types (htmx fills its datalist); the login is enough.
    page.locator("#set-responsibility input[name=user]").press_sequentially(users["ops"].username[:4])
    expect(page.locator(f'#set-responsibility datalist option[value*="({users["ops"].username})"]')).to_have_count(1)
    page.fill("#set-responsibility input[name=user]", users["ops"].username)
    page.select_option("#set-responsibility select[name=raci]", "R")
    page.click("#set-responsibility button[type=submit]")
    expect(page.locator("#raci-grid a.raci-R")).to_have_count(1)
    page.click("#raci-grid a.raci-edit")
    # The editor arrives by htmx: wait until htmx has settled it (its change listener is attached).
    expect(page.locator("#raci-grid select[name=raci]")).to_be_visible()
    expect(page.locator("#raci-grid .htmx-added, #raci-grid .htmx-settling")).to_have_count(0)
    page.select_option("#raci-grid select[name=raci]", "A")
    expect(page.locator("#raci-grid a.raci-A")).to_have_count(1)
    expect(page.locator("#raci-grid .alert-box")).to_have_count(0)
    page.goto(f"{live_server.url}/projects/{project.pk}/team/rota/")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert page.console_errors == []


def test_language_switch_to_chinese(page, live_server, project, users):
    login(page, live_server, users["staff"].username)
    page.goto(f"{live_server.url}/")
    page.click("button[name=language][value=zh-hans]")
    page.wait_for_load_state("networkidle")
    assert "我的项目" in page.content()
    assert page.console_errors == []
