"""Browser: the author withdraws a submitted requirement. The button asks first (dismissing changes nothing);
accepting swaps the review card in place (htmx) and the page head follows, without a JavaScript or CSP error."""

import pytest
from playwright.sync_api import expect

from requirements.models import Requirement
from tests.requirements.factories import submitted
from tests.utils import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_author_withdraws_after_confirming(page, live_server, project, users):
    requirement = submitted(project, author=users["business"], title="Real-time balance")
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, live_server, users["business"].username)
    page.goto(f"{live_server.url}/projects/{project.pk}/requirements/{requirement.pk}/")
    button = page.get_by_role("button", name="Withdraw from review")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    button.click()
    assert asked and "Withdraw this requirement from review?" in asked[0]
    # Had the dismissed click been sent, the card would have lost this button, or the withdrawal below would
    # say there is nothing to withdraw: the steps below prove it sent nothing.
    page.once("dialog", lambda dialog: dialog.accept())
    page.fill("#withdraw-reason", "Wrong department")
    button.click()
    review = page.locator("#review")
    expect(review).to_contain_text("withdrawn from review")
    expect(review.get_by_role("button", name="Submit for review")).to_be_visible()
    expect(page.locator("#requirement-head .st-draft")).to_be_visible()
    expect(page.locator("#requirement-history")).to_contain_text("Reason: Wrong department")
    assert Requirement.objects.get(pk=requirement.pk).status == "draft"
    assert errors == []
