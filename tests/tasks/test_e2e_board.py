"""Browser: the live board under the strict CSP — start and complete through htmx, and a second
viewer's board catches up by itself (polling every 5 s). Console errors fail the test."""

import pytest
from playwright.sync_api import expect

from tests.tasks.factories import chain, run, runbook
from tests.utils import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_board_actions_and_polling(page, browser, live_server, project, users):
    rb = runbook(project, users["ops"])
    first, second = chain(rb, users["ops"], 2, owner=users["developer"])
    r = run(rb, users["ops"])
    url = f"{live_server.url}/projects/{project.pk}/cutover/runs/{r.pk}/"

    viewer_context = browser.new_context()
    viewer = viewer_context.new_page()
    viewer_errors = []
    viewer.on("console", lambda msg: msg.type == "error" and viewer_errors.append(msg.text))
    login(viewer, live_server, users["tester"].username)
    viewer.goto(url)
    assert "Ready" in viewer.inner_text("#board tbody tr")

    login(page, live_server, users["developer"].username)
    page.goto(url)
    page.click("#board .step-list button:has-text('Start')")
    expect(page.locator("#board tbody tr").first).to_contain_text("Running")
    page.click("#board .step-list button:has-text('Complete')")
    expect(page.locator("#board tbody tr").first).to_contain_text("Done")
    assert "Step 2" in page.inner_text("#board .step-list")

    # The tester did nothing: their board refreshes itself within one polling interval.
    expect(viewer.locator("#board tbody tr").first).to_contain_text("Done", timeout=8000)
    assert page.console_errors == [] and viewer_errors == []
    viewer_context.close()
