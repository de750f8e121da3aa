"""The admin portal when the API's answers are slow, late, small-paged or not JSON, in headless Chromium against
the running local stack; the browser holds, replaces or reshapes the answers (Playwright's page.route)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.portal import Portal

pytestmark = pytest.mark.e2e


def test_an_answer_that_is_not_json_is_named_as_such(portal: Portal):
    # Given something between the portal and the API that answers the list with a web page
    web_page = "<!doctype html><title>Sign in to the network</title>"
    portal.answer("/webhooks", status=200, content_type="text/html; charset=utf-8", body=web_page)

    # When the admin opens the list
    portal.open("#/webhooks").page.reload()

    # Then the banner says the API answered, with something that is not JSON, and what it was
    expect(portal.banner()).to_contain_text("not JSON")
    expect(portal.banner()).to_contain_text("200")
    expect(portal.banner()).to_contain_text("text/html")
    expect(portal.banner()).not_to_contain_text("could not be reached")
