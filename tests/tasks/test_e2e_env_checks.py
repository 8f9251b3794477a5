"""Browser: an environment check made ready inline under the strict CSP — "Ready" without evidence shows
the refusal in the row, a file uploaded in the row is listed there, then "Ready" turns the row ready and
its checklist's bar and the criterion refresh without a page load. Console errors fail the test."""

import pytest
from playwright.sync_api import expect

from tasks import services
from tests.utils import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_ready_with_evidence_inline(page, live_server, project, users, tmp_path):
    item = services.envcheck_create(actor=users["ops"], project=project, category="emergency",
                                    title="UPS on battery 30 min", owner=users["developer"])
    evidence = tmp_path / "ups-test.log"
    evidence.write_text("UPS-A on battery 30 min: load 42 %\n备用电源切换正常\n", encoding="utf-8")
    login(page, live_server, users["developer"].username)
    url = f"{live_server.url}/projects/{project.pk}/cutover/environment/"
    page.goto(url)
    row = page.locator(f"#env-{item.pk}")
    expect(page.locator("#progress-emergency")).to_contain_text("0/1")

    row.locator("button:has-text('Ready')").click()
    expect(row.locator(".error")).to_contain_text("Attach evidence")

    row.locator("summary:has-text('Add evidence')").click()
    row.locator("input[name=file]").set_input_files(str(evidence))
    row.locator("button:has-text('Upload')").click()
    expect(row).to_contain_text("ups-test.log")

    row.locator("button:has-text('Ready')").click()
    expect(row.locator(".pill")).to_have_text("Ready")
    expect(page.locator("#progress-emergency")).to_contain_text("1/1")
    expect(page.locator("#env-criterion")).to_contain_text("Environment ready")
    assert page.url == url  # inline: no navigation
    item.refresh_from_db()
    assert (item.status, item.checked_by) == ("ready", users["developer"])
    assert page.console_errors == []
