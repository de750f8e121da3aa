"""The admin portal when the API's answers are slow, late, small-paged or not JSON, in headless Chromium against
the running local stack; the browser holds, replaces or reshapes the answers (Playwright's page.route)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import RunningStack
from tests.support.local_stack import wait_for
from tests.support.portal import Portal, delivered_test_event, registered, settled_attempts
from tests.support.receivers import Receiver

pytestmark = pytest.mark.e2e


def test_a_screen_still_loading_never_replaces_the_one_opened_after_it(
    portal: Portal, receiver: Receiver, local_stack: RunningStack, account: str
):
    # Given the list, and the API slow to answer the webhook's read that its delivery log starts with
    webhook = registered(local_stack, account, receiver.url("/ok"), name="Billing sync")
    portal.open("#/webhooks").page.reload()
    held = portal.hold_answers(f"/webhooks/{webhook['webhook_id']}")
    with portal.page.expect_request(lambda request: request.url.endswith(f"/webhooks/{webhook['webhook_id']}")):
        portal.row(webhook["webhook_id"]).get_by_role("link", name="Deliveries").click()

    # When the admin goes back to the list before the log has loaded, and the log's answer comes late
    portal.page.go_back()
    expect(portal.row(webhook["webhook_id"])).to_be_visible()
    held.release()

    # Then the list stays: the late answer does not bring the log back
    expect(portal.row(webhook["webhook_id"])).to_be_visible()
    expect(portal.page.locator("table.deliveries")).to_have_count(0)
    expect(portal.page.get_by_role("heading", name="Deliveries of Billing sync")).to_have_count(0)


def test_a_test_event_shows_in_the_log_once_answered_without_a_refresh(
    portal: Portal, receiver: Receiver, local_stack: RunningStack, account: str
):
    # Given an endpoint that answers after 1.5 s, so the attempt is answered after several seconds
    webhook = registered(local_stack, account, receiver.url("/slow?ms=1500"))
    portal.open(f"#/webhooks/{webhook['webhook_id']}/deliveries")
    expect(portal.page.locator("table.deliveries tbody")).to_contain_text("No deliveries match.")

    # When the admin sends a test event and presses nothing else
    portal.page.get_by_role("button", name="Send test event").click()

    # Then the log shows its attempt answered
    expect(portal.page.locator("table.deliveries .badge.succeeded")).to_have_count(1, timeout=30_000)
    expect(portal.banner()).to_contain_text("Test event queued")


def test_a_test_event_the_log_does_not_show_in_time_is_said_in_the_banner(
    portal: Portal, receiver: Receiver, local_stack: RunningStack, account: str
):
    # Given a log whose reads never show the test event's delivery
    webhook = registered(local_stack, account, receiver.url("/ok"))
    portal.open(f"#/webhooks/{webhook['webhook_id']}/deliveries")
    expect(portal.page.locator("table.deliveries tbody")).to_contain_text("No deliveries match.")
    empty_page = '{"items": [], "next_cursor": null}'
    portal.answer(
        f"/webhooks/{webhook['webhook_id']}/deliveries", status=200, content_type="application/json", body=empty_page
    )

    # When the admin sends a test event
    portal.page.get_by_role("button", name="Send test event").click()

    # Then, once the portal stops following it, the banner says it has not shown yet
    expect(portal.banner()).to_contain_text("has not shown in the log yet", timeout=60_000)


def test_the_redelivery_is_no_longer_followed_once_the_admin_leaves_its_screen(
    portal: Portal, receiver: Receiver, local_stack: RunningStack, account: str
):
    # Given a delivery whose endpoint now answers after 3 s, so its redelivery stays in flight for a while
    webhook = registered(local_stack, account, receiver.url("/ok"))
    delivery_id = delivered_test_event(local_stack, account, webhook["webhook_id"])
    token = local_stack.token(account)
    slow = {"url": receiver.url("/slow?ms=3000")}
    local_stack.request("PATCH", f"/webhooks/{webhook['webhook_id']}", token=token, body=slow)
    portal.open(f"#/webhooks/{webhook['webhook_id']}/deliveries/{delivery_id}")
    portal.page.get_by_role("button", name="Redeliver").click()
    expect(portal.banner()).to_contain_text("Redelivery queued as attempt 2")

    # When the admin goes back to the delivery log while the redelivery is followed
    reads = portal.requests_to(f"/webhooks/{webhook['webhook_id']}/deliveries/{delivery_id}")
    portal.page.get_by_role("link", name="← Delivery log").click()
    expect(portal.page.locator("table.deliveries")).to_be_visible()
    reads_while_shown = len(reads)

    # Then, until the redelivery is answered and after, the detail screen reads it no more
    assert wait_for(lambda: len(settled_attempts(local_stack, account, webhook["webhook_id"], delivery_id)) == 2)
    portal.handled()
    assert reads[reads_while_shown:] == []


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


def test_load_more_pages_the_list(portal: Portal, receiver: Receiver, local_stack: RunningStack, account: str):
    # Given two webhooks, read one per page
    for name in ("Billing sync", "CRM import"):
        registered(local_stack, account, receiver.url("/ok"), name=name)
    portal.one_item_per_page()
    portal.open("#/webhooks").page.reload()
    rows = portal.page.locator("table.webhooks tbody tr[data-webhook-id]")
    expect(rows).to_have_count(1)

    # When the admin loads more
    portal.page.get_by_role("button", name="Load more").click()

    # Then the second page is added under the first, and there is nothing more to load
    expect(rows).to_have_count(2)
    expect(portal.page.get_by_role("button", name="Load more")).to_have_count(0)


def test_load_more_pages_the_delivery_log(portal: Portal, receiver: Receiver, local_stack: RunningStack, account: str):
    # Given a delivery with two attempts (a test event and its redelivery), read one per page
    webhook = registered(local_stack, account, receiver.url("/ok"))
    delivery_id = delivered_test_event(local_stack, account, webhook["webhook_id"])
    redelivery = f"/webhooks/{webhook['webhook_id']}/deliveries/{delivery_id}/redeliver"
    local_stack.request("POST", redelivery, token=local_stack.token(account))
    assert wait_for(lambda: len(settled_attempts(local_stack, account, webhook["webhook_id"], delivery_id)) == 2)
    portal.one_item_per_page()
    portal.open(f"#/webhooks/{webhook['webhook_id']}/deliveries")
    rows = portal.page.locator("table.deliveries tbody tr[data-delivery-id]")
    expect(rows).to_have_count(1)

    # When the admin loads more
    portal.page.get_by_role("button", name="Load more").click()

    # Then both attempts show, newest first, and there is nothing more to load
    expect(rows).to_have_count(2)
    expect(rows.locator("td:nth-child(5)")).to_have_text(["2", "1"])
    expect(portal.page.get_by_role("button", name="Load more")).to_have_count(0)


def test_load_more_pages_the_history(portal: Portal, receiver: Receiver, local_stack: RunningStack, account: str):
    # Given a webhook created and then renamed, its history read one entry per page
    webhook = registered(local_stack, account, receiver.url("/ok"))
    local_stack.request(
        "PATCH", f"/webhooks/{webhook['webhook_id']}", token=local_stack.token(account), body={"name": "Seat sync"}
    )
    portal.one_item_per_page()
    portal.open(f"#/webhooks/{webhook['webhook_id']}/history")
    rows = portal.page.locator("table.history tbody tr")
    expect(rows).to_have_count(1)

    # When the admin loads more
    portal.page.get_by_role("button", name="Load more").click()

    # Then both entries show, newest first, and there is nothing more to load
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-action", "updated")
    expect(rows.nth(1)).to_have_attribute("data-action", "created")
    expect(portal.page.get_by_role("button", name="Load more")).to_have_count(0)
