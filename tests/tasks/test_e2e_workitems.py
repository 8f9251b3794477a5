"""Browser: a work item edited inline through htmx under the strict CSP — the row turns into a
form, a wrong input shows its message in the row, a good one saves and the list comes back on
the same page with its filter. Console errors fail the test."""

import pytest
from playwright.sync_api import expect

from tasks import services
from tests.utils import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_edit_work_item_inline(page, live_server, project, users):
    item = services.workitem_create(actor=users["ops"], project=project, title="UPS test", owner=users["developer"])
    login(page, live_server, users["ops"].username)
    url = f"{live_server.url}/projects/{project.pk}/cutover/prep/?status=todo"
    page.goto(url)
    row = page.locator(f"#wi-{item.pk}")
    row.locator("a:has-text('Edit')").click()
    expect(row.locator("input[name=title]")).to_have_value("UPS test")
    assert page.url == url  # inline: no navigation

    row.locator("input[name=title]").fill("")
    row.locator("button:has-text('Save')").click()
    expect(row.locator(".error")).to_contain_text("This field is required.")

    row.locator("input[name=title]").fill("UPS load test")
    row.locator("select[name=phase]").select_option("rehearsal")
    row.locator("button:has-text('Save')").click()
    expect(page.locator("#items")).to_contain_text("UPS load test")
    expect(row.locator("input[name=title]")).to_have_count(0)
    assert page.url == url
    item.refresh_from_db()
    assert (item.title, item.phase) == ("UPS load test", "rehearsal")

    row.locator("a:has-text('Edit')").click()
    expect(row.locator("input[name=title]")).to_have_value("UPS load test")
    row.locator("a:has-text('Cancel')").click()
    expect(row.locator("input[name=title]")).to_have_count(0)
    expect(row).to_contain_text("UPS load test")
    assert page.console_errors == []
