"""The admin portal in Debian's headless Chromium (driven by Playwright), and a page object for its screens."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Request, Route, ViewportSize, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.support.local_stack import wait_for

if TYPE_CHECKING:
    from tests.e2e.conftest import RunningStack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = ViewportSize(width=1180, height=760)
# `make portal-screenshots` sets this to docs/ so the run also refreshes docs/portal-*.png.
SCREENSHOTS_DIR = os.environ.get("PORTAL_SCREENSHOTS_DIR")


@contextmanager
def chromium(user_data_dir: Path, origin: str) -> Iterator[BrowserContext]:
    """A fresh Chromium profile; fails (never skips) without the Debian package the tests need."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the portal's browser tests need Debian's chromium "
            "(`make system-packages`, which `make test` runs first: apt-get install -y chromium chromium-driver)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


def registered(stack: RunningStack, account: str, url: str, **fields: Any) -> dict[str, Any]:
    """A webhook of the account, created through the API (the secret is in the answer)."""
    body = {"name": "Billing sync", "url": url, "environment": "development", "events": ["license.*"]} | fields
    status, _, webhook = stack.request("POST", "/webhooks", token=stack.token(account), body=body)
    assert status == 201, webhook
    created: dict[str, Any] = webhook
    return created


def webhook_state(stack: RunningStack, account: str, webhook_id: str) -> dict[str, Any]:
    _, _, webhook = stack.request("GET", f"/webhooks/{webhook_id}", token=stack.token(account))
    state: dict[str, Any] = webhook
    return state


def settled_attempts(stack: RunningStack, account: str, webhook_id: str, delivery_id: str) -> list[dict[str, Any]]:
    """The delivery's attempts once it has at least one and none is still waiting for its answer, else []."""
    status, _, detail = stack.request(
        "GET", f"/webhooks/{webhook_id}/deliveries/{delivery_id}", token=stack.token(account)
    )
    attempts: list[dict[str, Any]] = detail["attempts"] if status == 200 else []
    return attempts if all(attempt["status"] != "pending" for attempt in attempts) else []


def delivered_test_event(stack: RunningStack, account: str, webhook_id: str) -> str:
    """Sends a test event through the API and waits until its attempt is answered; returns its delivery id."""
    status, _, accepted = stack.request("POST", f"/webhooks/{webhook_id}/test", token=stack.token(account))
    assert status == 202, accepted
    delivery_id: str = accepted["delivery_id"]
    assert wait_for(lambda: settled_attempts(stack, account, webhook_id, delivery_id), timeout_seconds=30)
    return delivery_id


def _path_is(path: str) -> Callable[[str], bool]:
    return lambda url: urlsplit(url).path == path


def _handled(page: Page) -> None:
    """Lets the page handle the events and answers that have already reached it (one task of its event loop)."""
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve))")


@dataclass
class HeldAnswers:
    """Requests of the page kept waiting for their answer until the test releases them: a slow network on demand."""

    page: Page
    routes: list[Route] = field(default_factory=list)

    def hold(self, route: Route) -> None:
        """The page.route handler: neither continues nor answers the request, yet."""
        self.routes.append(route)

    def release(self) -> None:
        """Lets each held request go on, then lets the page handle what came back."""
        assert self.routes, "no request was held"
        for route in self.routes:
            with contextlib.suppress(PlaywrightError):  # the page gave up on it meanwhile
                route.continue_()
            response = route.request.response()
            if response is not None:
                response.finished()
        _handled(self.page)


@dataclass
class Portal:
    """The portal's screens as an admin sees them: buttons by their label, fields by their name."""

    page: Page
    url: str

    def open(self, hash_route: str = "#/webhooks") -> Portal:
        self.page.goto(f"{self.url}{hash_route}")
        return self

    def sign_in(self, token: str) -> Portal:
        self.open()
        self.page.fill("#field-token", token)
        self.page.get_by_role("button", name="Use token").click()
        self.page.locator("table.webhooks").wait_for()
        return self

    def start_new_webhook(self, *, name: str, url: str, environment: str, events: list[str]) -> Portal:
        self.page.get_by_role("link", name="New webhook").click()
        self.page.fill("#field-name", name)
        self.page.fill("#field-url", url)
        self.page.select_option("#field-environment", environment)
        for event in events:
            self.page.check(f".events-picker input[value='{event}']")
        return self

    def submit(self, label: str = "Create webhook") -> None:
        self.page.get_by_role("button", name=label).click()

    def row(self, webhook_id: str) -> Locator:
        return self.page.locator(f"tr[data-webhook-id='{webhook_id}']")

    def field_error(self, field: str) -> Locator:
        return self.page.locator(f"[data-field='{field}'] > .field-error")

    def banner(self) -> Locator:
        return self.page.locator("#banner")

    def secret(self) -> Locator:
        return self.page.get_by_test_id("secret")

    def stored(self) -> dict[str, Any]:
        """Everything the page keeps in web storage."""
        stored: dict[str, Any] = self.page.evaluate("() => ({session: {...sessionStorage}, local: {...localStorage}})")
        return stored

    def screenshot(self, name: str) -> None:
        if SCREENSHOTS_DIR:
            self.page.wait_for_load_state("networkidle")
            # Even a throwaway test secret stays out of committed pictures.
            self.page.screenshot(path=Path(SCREENSHOTS_DIR) / f"portal-{name}.png", mask=[self.secret()])

    def hold_answers(self, path: str) -> HeldAnswers:
        """From now on, requests to `path` wait until the returned HeldAnswers is released."""
        held = HeldAnswers(self.page)
        self.page.route(_path_is(path), held.hold)
        return held

    def answer(self, path: str, *, status: int, content_type: str, body: str) -> None:
        """From now on, requests to `path` get this answer instead of the API's."""
        self.page.route(
            _path_is(path), lambda route: route.fulfill(status=status, content_type=content_type, body=body)
        )

    def one_item_per_page(self) -> None:
        """From now on, every paged read asks the API for one item per page."""

        def smaller(route: Route) -> None:
            url = urlsplit(route.request.url)
            query = parse_qs(url.query) | {"limit": ["1"]}
            route.continue_(url=url._replace(query=urlencode(query, doseq=True)).geturl())

        self.page.route(lambda url: "limit" in parse_qs(urlsplit(url).query), smaller)

    def requests_to(self, path: str) -> list[Request]:
        """Every request the page makes to `path` from now on (read it after a Playwright call: events arrive then)."""
        made: list[Request] = []
        self.page.on("request", lambda request: made.append(request) if urlsplit(request.url).path == path else None)
        return made

    def handled(self) -> None:
        _handled(self.page)
