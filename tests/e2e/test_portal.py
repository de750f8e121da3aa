"""The admin portal's Webhooks section, driven in headless Chromium against the running local stack."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
from playwright.sync_api import BrowserContext, expect

from local.jwt_keys import token_claims
from tests.e2e.conftest import DELIVERY_SECONDS, RunningStack
from tests.support.local_stack import wait_for
from tests.support.portal import Portal, delivered_test_event, registered, webhook_state
from tests.support.receivers import Receiver
from webhooks.domain.principal import Role

pytestmark = pytest.mark.e2e


def test_an_admin_creates_a_webhook_and_sees_its_secret_once(portal: Portal, receiver: Receiver, local_stack, account):
    portal.start_new_webhook(
        name="Billing <b>sync</b>",
        url=receiver.url("/ok"),
        environment="development",
        events=["license.*", "product.created"],
    )
    expect(portal.page.locator(".events-picker input[value='license.created']")).to_be_disabled()
    portal.screenshot("create")

    portal.submit()

    # Compared into booleans, so a failing assertion never prints the secret.
    secret = portal.secret().inner_text()
    looks_like_a_secret = re.fullmatch(r"whsec_[A-Za-z0-9+/=]{32,}", secret) is not None
    assert looks_like_a_secret
    portal.page.get_by_role("button", name="Copy").click()
    copied = portal.page.evaluate("(shown) => navigator.clipboard.readText().then((text) => text === shown)", secret)
    assert copied is True
    portal.screenshot("secret")
    portal.page.get_by_role("button", name="Done").click()
    _, _, listed = local_stack.request("GET", "/webhooks", token=local_stack.token(account))
    [webhook] = listed["items"]
    assert (webhook["environment"], webhook["events"]) == ("development", ["license.*", "product.created"])
    row = portal.row(webhook["webhook_id"])
    expect(row.locator(".name")).to_have_text("Billing <b>sync</b>")  # rendered as text, never as markup
    expect(row).to_contain_text("enabled")
    portal.page.reload()
    expect(portal.row(webhook["webhook_id"])).to_be_visible()
    shown_again = secret in portal.page.content()
    kept_in_storage = secret in str(portal.stored())
    assert (shown_again, kept_in_storage) == (False, False)


def test_an_admin_disables_and_enables_a_webhook(portal: Portal, receiver: Receiver, local_stack, account):
    webhook = registered(local_stack, account, receiver.url("/ok"))
    portal.open("#/webhooks").page.reload()
    row = portal.row(webhook["webhook_id"])

    row.get_by_role("button", name="Disable").click()
    expect(row.locator(".badge.disabled")).to_have_text("disabled")
    assert webhook_state(local_stack, account, webhook["webhook_id"])["enabled"] is False

    row.get_by_role("button", name="Enable").click()
    expect(row.locator(".badge.enabled")).to_have_text("enabled")
    enabled = webhook_state(local_stack, account, webhook["webhook_id"])
    assert enabled["enabled"] is True

    # Enabled again, the portal offers to recover what failed from the minute it was disabled
    portal.banner().get_by_role("button", name="Recover what failed since it was disabled…").click()
    since = portal.page.locator("dialog.recover input[name=since]")
    chosen = portal.page.evaluate("(input) => new Date(input.value).toISOString()", since.element_handle())
    disabled_at = datetime.fromisoformat(enabled["disabled_at"])
    assert datetime.fromisoformat(chosen) == disabled_at.replace(second=0, microsecond=0)
    portal.page.locator("dialog.recover").get_by_role("button", name="Send them again").click()
    expect(portal.banner()).to_contain_text("0 failed deliveries queued again.")


def test_a_test_event_shows_in_the_delivery_log_and_redelivers(
    portal: Portal, receiver: Receiver, local_stack, account
):
    webhook = registered(local_stack, account, receiver.url(f"/ok?hook={account}"))
    portal.open(f"#/webhooks/{webhook['webhook_id']}/deliveries")

    portal.page.get_by_role("button", name="Send test event").click()
    expect(portal.banner()).to_contain_text("Test event queued")
    # No Refresh: the log follows the test event until its attempt is answered.
    expect(portal.page.locator("table.deliveries .badge.succeeded")).to_have_count(1, timeout=30_000)
    expect(portal.page.locator("table.deliveries tbody tr[data-delivery-id]")).to_have_count(1)
    portal.screenshot("deliveries")
    portal.page.select_option("select[name=status]", "failed")
    portal.page.get_by_role("button", name="Apply").click()
    expect(portal.page.locator("table.deliveries tbody")).to_contain_text("No deliveries match.")
    portal.page.get_by_role("link", name="Clear").click()
    portal.page.get_by_role("link", name="Details").click()

    attempt = portal.page.locator("section.attempt[data-attempt='1']")
    delivery_id = portal.page.locator("dl.ids code").first.inner_text()
    expect(attempt.locator("table.headers tr", has_text="webhook-id")).to_contain_text(delivery_id)
    expect(attempt.locator(".request-body")).to_contain_text('"event": "webhook.test"')
    expect(attempt.locator(".response-excerpt")).to_have_text('{"received": true}')
    redeliver = portal.page.get_by_role("button", name="Redeliver")
    redeliver.click()

    # While the redelivery is followed, the button says so and cannot send another.
    expect(redeliver).to_be_disabled()
    expect(redeliver).to_have_text("Redelivering…")
    expect(portal.page.locator("section.attempt[data-attempt='2'] .badge")).to_have_text("succeeded", timeout=30_000)
    expect(redeliver).to_be_enabled()
    expect(redeliver).to_have_text("Redeliver")
    portal.screenshot("delivery-detail")
    delivered = [request for request in receiver.requests if request.path == "/ok" and account in str(request.body)]
    assert len({request.headers["webhook-id"] for request in delivered}) == 1
    assert len(delivered) == 2


def _refreshed_shows(portal: Portal, status: str) -> bool:
    portal.page.get_by_role("button", name="Refresh").click()
    portal.page.wait_for_load_state("networkidle")
    return portal.page.locator(f"table.deliveries .badge.{status}").count() > 0


def test_an_admin_recovers_what_failed_while_the_endpoint_refused(
    portal: Portal, receiver: Receiver, local_stack, account
):
    webhook = registered(local_stack, account, receiver.url(f"/client-error?hook={account}"))
    license_id = f"lic-{uuid.uuid4().hex[:8]}"
    item = {"id": {"S": license_id}, "account_id": {"S": account}, "environment": {"S": "development"}}
    local_stack.info.client("dynamodb").put_item(TableName=local_stack.info.tables["licenses"], Item=item)
    portal.open(f"#/webhooks/{webhook['webhook_id']}/deliveries")
    assert wait_for(lambda: _refreshed_shows(portal, "failed"), timeout_seconds=DELIVERY_SECONDS)
    # The receiver is fixed: the webhook now points at an endpoint that accepts, after 1.5 s, so the
    # recovered attempt is answered well after the queue's 1 s batching window.
    token = local_stack.token(account)
    fixed = {"url": receiver.url(f"/slow?ms=1500&hook={account}")}
    local_stack.request("PATCH", f"/webhooks/{webhook['webhook_id']}", token=token, body=fixed)

    portal.page.get_by_role("button", name="Recover failed…").click()
    portal.screenshot("recover")
    portal.page.locator("dialog.recover").get_by_role("button", name="Send them again").click()

    expect(portal.banner()).to_contain_text("1 failed delivery queued again.")
    # No Refresh: the log follows the recovered delivery until its new attempt is answered.
    expect(portal.page.locator("table.deliveries .badge.succeeded")).to_have_count(1, timeout=30_000)
    ours = [request for request in receiver.requests if account.encode() in request.body]
    assert [(request.path, request.headers["webhook-id"]) for request in ours] == [
        ("/client-error", ours[0].headers["webhook-id"]),
        ("/slow", ours[0].headers["webhook-id"]),
    ]


def test_the_list_shows_each_webhooks_last_day_from_the_list_call_alone(
    portal: Portal, receiver: Receiver, local_stack, account
):
    # Given a webhook whose endpoint refuses and one whose endpoint accepts, each sent a test event
    refusing = registered(local_stack, account, receiver.url("/client-error"), name="CRM import")
    accepting = registered(local_stack, account, receiver.url("/ok"), name="Billing sync", events=["*"])
    for webhook in (refusing, accepting):
        delivered_test_event(local_stack, account, webhook["webhook_id"])

    # When the list is shown, once the API's views count both POSTs
    def counted() -> bool:
        return all(
            webhook_state(local_stack, account, w["webhook_id"])["endpoint"]["attempts_24h"]
            for w in (refusing, accepting)
        )

    assert wait_for(counted, timeout_seconds=DELIVERY_SECONDS)
    requests = portal.requests_to("/webhooks")
    per_row = [portal.requests_to(f"/webhooks/{w['webhook_id']}/deliveries") for w in (refusing, accepting)]
    portal.page.reload()
    portal.page.wait_for_load_state("networkidle")

    # Then each row shows its last day in words and as a sparkline: one failed bar, one succeeded bar
    refused_day, accepted_day = (portal.row(w["webhook_id"]).get_by_test_id("last-24h") for w in (refusing, accepting))
    expect(refused_day).to_contain_text("0% of 1 succeeded in 24 h")
    expect(refused_day).to_contain_text("last failure")
    expect(accepted_day).to_contain_text("100% of 1 succeeded in 24 h")
    expect(refused_day.locator("svg.sparkline rect.failed")).to_have_count(1)
    expect(refused_day.locator("svg.sparkline rect.succeeded")).to_have_count(0)
    expect(accepted_day.locator("svg.sparkline rect.succeeded")).to_have_count(1)
    # And all of it came with the one list call: no read per row
    assert ([r.method for r in requests], [len(made) for made in per_row]) == (["GET"], [0, 0])
    portal.screenshot("list")


def test_an_invalid_url_is_shown_next_to_the_url_field(portal: Portal, local_stack, account):
    portal.start_new_webhook(name="Broken", url="ftp://example.com/hook", environment="production", events=["*"])

    portal.submit()

    expect(portal.field_error("url")).not_to_be_empty()
    expect(portal.banner()).to_be_hidden()
    assert portal.secret().count() == 0
    _, _, listed = local_stack.request("GET", "/webhooks", token=local_stack.token(account))
    assert listed["items"] == []


def test_no_event_picked_is_shown_next_to_the_events(portal: Portal):
    portal.start_new_webhook(name="Nothing", url="https://example.com/hook", environment="production", events=[])

    portal.submit()

    expect(portal.field_error("events")).not_to_be_empty()
    expect(portal.field_error("url")).to_be_empty()


def test_an_edit_sends_the_etag_and_a_stale_edit_is_refused(portal: Portal, receiver: Receiver, local_stack, account):
    webhook = registered(local_stack, account, receiver.url("/ok"))
    portal.open(f"#/webhooks/{webhook['webhook_id']}/edit")
    portal.page.fill("#field-name", "Renamed")
    portal.page.fill("#field-description", "Seat sync")
    portal.submit("Save changes")
    expect(portal.banner()).to_contain_text("Renamed is saved.")
    assert webhook_state(local_stack, account, webhook["webhook_id"])["description"] == "Seat sync"

    portal.open(f"#/webhooks/{webhook['webhook_id']}/edit")
    expect(portal.page.locator("#field-name")).to_have_value("Renamed")
    local_stack.request(
        "PATCH", f"/webhooks/{webhook['webhook_id']}", token=local_stack.token(account), body={"name": "Elsewhere"}
    )
    portal.page.fill("#field-name", "Mine")
    portal.submit("Save changes")

    expect(portal.banner()).to_contain_text("changed since you opened it")
    assert webhook_state(local_stack, account, webhook["webhook_id"])["name"] == "Elsewhere"


def test_an_admin_tries_a_payload_filter_on_an_example_and_saves_it(
    portal: Portal, receiver: Receiver, local_stack, account
):
    # Given a new webhook's form with a filter the API refuses
    portal.start_new_webhook(
        name="Big licenses", url=receiver.url("/ok"), environment="development", events=["license.*"]
    )
    page, result = portal.page, portal.page.locator(".filter-result")
    page.fill("#field-filter", '{"payload": {"seats": {"$gte": true}}}')
    page.get_by_role("button", name="Try this filter").click()
    # Then the filter's field names the bad clause
    expect(portal.field_error("filter")).to_contain_text("payload.seats.$gte")
    # When a filter for 10 seats or more is tried on the example license (5 seats)
    page.fill("#field-filter", '{"payload": {"seats": {"$gte": 10}}}')
    page.select_option("[name=filter-event]", "license.created")
    page.get_by_role("button", name="Try this filter").click()
    # Then the clause that failed is shown with what the example holds
    expect(result).to_have_text(
        'The example of license.created does not match at payload.seats.$gte: it asks {"$gte":10}, the example has 5.'
    )
    # And text that is not JSON is refused in the form, before anything is sent
    page.fill("#field-filter", "{not json")
    portal.submit()
    expect(portal.field_error("filter")).to_contain_text("Not valid JSON")
    # When a matching filter is tried and saved
    page.fill("#field-filter", '{"payload": {"seats": {"$gte": 5}}}')
    page.get_by_role("button", name="Try this filter").click()
    expect(result).to_have_text("The example of license.created matches.")
    portal.screenshot("filter")
    portal.submit()
    page.get_by_role("button", name="Done").click()
    # Then the webhook holds it, and its edit form shows it again
    _, _, listed = local_stack.request("GET", "/webhooks", token=local_stack.token(account))
    [webhook] = listed["items"]
    assert webhook["filter"] == {"payload": {"seats": {"$gte": 5}}}
    portal.open(f"#/webhooks/{webhook['webhook_id']}/edit")
    expect(page.locator("#field-filter")).to_have_value(
        '{\n  "payload": {\n    "seats": {\n      "$gte": 5\n    }\n  }\n}'
    )


def test_a_v1a_webhook_created_in_the_portal_shows_its_public_key_and_no_secret(
    portal: Portal, receiver: Receiver, local_stack, account
):
    # When an admin creates a webhook signed with Ed25519
    portal.start_new_webhook(name="Signed", url=receiver.url("/ok"), environment="development", events=["license.*"])
    portal.page.select_option("#field-signature_scheme", "v1a")
    portal.submit()
    # Then the panel shows the webhook's public key, and no secret at all
    shown = portal.page.get_by_test_id("public-key")
    expect(shown).to_have_text(re.compile(r"^whpk_[A-Za-z0-9+/]{43}=$"))
    expect(portal.page.get_by_test_id("secret")).to_have_count(0)
    _, _, listed = local_stack.request("GET", "/webhooks", token=local_stack.token(account))
    [webhook] = listed["items"]
    assert (webhook["signature_scheme"], webhook["public_key"]) == ("v1a", shown.inner_text())


def test_an_admin_deletes_a_webhook_only_after_confirming(portal: Portal, receiver: Receiver, local_stack, account):
    webhook = registered(local_stack, account, receiver.url("/ok"), name="Old CRM")
    portal.open(f"#/webhooks/{webhook['webhook_id']}/edit")

    portal.page.get_by_role("button", name="Delete…").click()
    expect(portal.page.locator("dialog.confirm")).to_contain_text("Delete Old CRM?")
    portal.page.locator("dialog.confirm").get_by_role("button", name="Cancel").click()
    assert webhook_state(local_stack, account, webhook["webhook_id"])["name"] == "Old CRM"

    portal.page.get_by_role("button", name="Delete…").click()
    portal.page.locator("dialog.confirm").get_by_role("button", name="Delete webhook").click()

    expect(portal.banner()).to_contain_text("Old CRM is deleted.")
    expect(portal.row(webhook["webhook_id"])).to_have_count(0)
    status, _, _ = local_stack.request("GET", f"/webhooks/{webhook['webhook_id']}", token=local_stack.token(account))
    assert status == 404


def test_the_list_shows_a_damaged_webhook_apart_and_deletes_it(
    portal: Portal, receiver: Receiver, local_stack, account
):
    healthy = registered(local_stack, account, receiver.url("/ok"), name="Billing sync")
    damaged = registered(local_stack, account, receiver.url("/ok"), name="Broken")
    local_stack.info.client("dynamodb").update_item(  # what a 0.0004 s timeout was stored as
        TableName=local_stack.info.tables["webhooks"],
        Key={"account_id": {"S": account}, "webhook_id": {"S": damaged["webhook_id"]}},
        UpdateExpression="SET read_timeout_ms = :zero",
        ExpressionAttributeValues={":zero": {"N": "0"}},
    )
    portal.page.reload()

    expect(portal.row(healthy["webhook_id"])).to_contain_text("Billing sync")
    expect(portal.row(damaged["webhook_id"]).get_by_test_id("damage")).to_contain_text("read_timeout_seconds")
    portal.row(damaged["webhook_id"]).get_by_role("button", name="Delete…").click()
    portal.page.locator("dialog.confirm").get_by_role("button", name="Delete webhook").click()

    expect(portal.banner()).to_contain_text(f"{damaged['webhook_id']} is deleted.")
    expect(portal.row(damaged["webhook_id"])).to_have_count(0)
    assert webhook_state(local_stack, account, damaged["webhook_id"])["status"] == 404
    expect(portal.row(healthy["webhook_id"])).to_contain_text("Billing sync")


def test_a_delete_based_on_a_stale_view_is_refused(portal: Portal, receiver: Receiver, local_stack, account):
    webhook = registered(local_stack, account, receiver.url("/ok"))
    portal.open(f"#/webhooks/{webhook['webhook_id']}/edit")
    expect(portal.page.locator("#field-name")).to_have_value("Billing sync")
    local_stack.request(
        "PATCH", f"/webhooks/{webhook['webhook_id']}", token=local_stack.token(account), body={"name": "Elsewhere"}
    )

    portal.page.get_by_role("button", name="Delete…").click()
    portal.page.locator("dialog.confirm").get_by_role("button", name="Delete webhook").click()

    expect(portal.banner()).to_contain_text("changed since you opened it")
    assert webhook_state(local_stack, account, webhook["webhook_id"])["name"] == "Elsewhere"


def test_the_history_shows_who_changed_what_newest_first(portal: Portal, receiver: Receiver, local_stack, account):
    webhook = registered(local_stack, account, receiver.url("/ok"), name="Billing sync")
    webhook_path = f"/webhooks/{webhook['webhook_id']}"
    token = local_stack.token(account)
    local_stack.request("PATCH", webhook_path, token=token, body={"name": "Seat sync"})
    local_stack.request("PATCH", webhook_path, token=token, body={"enabled": False})
    _, _, rotated = local_stack.request("POST", f"{webhook_path}/secret/rotate", token=token, body={})
    portal.open("#/webhooks").page.reload()

    portal.row(webhook["webhook_id"]).get_by_role("link", name="History").click()

    rows = portal.page.locator("table.history tbody tr")
    expect(rows).to_have_count(4)
    actions = [rows.nth(index).get_attribute("data-action") for index in range(4)]
    assert actions == ["secret_rotated", "disabled", "updated", "created"]
    renamed = rows.nth(2).locator("li[data-field='name']")
    expect(renamed.locator(".before")).to_have_text("Billing sync")
    expect(renamed.locator(".after")).to_have_text("Seat sync")
    expect(rows.nth(1).locator("li[data-field='enabled']")).to_contain_text("true → false")
    expect(rows.first).to_contain_text(str(token_claims(account, Role.ADMIN)["sub"]))
    portal.screenshot("history")
    secrets_shown = [secret in portal.page.content() for secret in (webhook["secret"], rotated["secret"])]
    assert secrets_shown == [False, False]


def test_rotating_shows_the_new_secret_once(portal: Portal, receiver: Receiver, local_stack, account):
    webhook = registered(local_stack, account, receiver.url("/ok"))
    portal.open("#/webhooks").page.reload()

    portal.row(webhook["webhook_id"]).get_by_role("button", name="Rotate secret").click()
    portal.page.locator("dialog.rotate").get_by_role("button", name="Rotate secret").click()

    shown = portal.secret().inner_text()
    _, _, revealed = local_stack.request(
        "GET", f"/webhooks/{webhook['webhook_id']}/secret", token=local_stack.token(account)
    )
    shown_is_current = [secret["secret"] for secret in revealed["secrets"]] == [shown, webhook["secret"]]
    assert shown_is_current, "the secret shown is not the current one, followed by the previous"
    portal.page.get_by_role("button", name="Done").click()
    expect(portal.secret()).to_have_count(0)


def test_a_refused_token_is_shown_next_to_the_token_box(browser: BrowserContext, local_stack: RunningStack):
    page = browser.new_page()
    portal = Portal(page, f"{local_stack.info.api_url}/portal/").open()
    portal.screenshot("sign-in")

    page.fill("#field-token", "not-a-token")
    page.get_by_role("button", name="Use token").click()

    expect(portal.field_error("token")).to_contain_text("refused the token")
    assert portal.stored()["session"] == {}
    page.close()
