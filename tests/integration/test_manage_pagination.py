"""Listing webhooks page by page: every one exactly once, filters applied, cursors bound to their query."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.handlers import LoadedHandler
from tests.support.manage_api import ADMIN, OTHER_ADMIN, READER, ManageApi

ENVIRONMENTS = ("production", "staging", "development")


@pytest.fixture
def api(handler_for: Callable[..., LoadedHandler]) -> ManageApi:
    return ManageApi(handler_for("ManageFunction", WEBHOOK_QUOTA_PER_ACCOUNT="300"))


def _all_pages(api: ManageApi, query: dict[str, str], caller: dict[str, Any] = ADMIN) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        answer = api("GET", "/webhooks", caller=caller, query=query | ({"cursor": cursor} if cursor else {}))
        assert answer.status == 200, answer.body
        pages.append(answer.body["items"])
        cursor = answer.body["next_cursor"]
        if cursor is None:
            return pages


def _numbers(pages: list[list[dict[str, Any]]]) -> list[int]:
    return sorted(int(item["name"].split()[1]) for page in pages for item in page)


def test_250_webhooks_are_listed_exactly_once_and_filters_select_exactly_the_matching_ones(api: ManageApi) -> None:
    # Given 250 webhooks of mixed environments, states and events, and one of another account
    count = 250
    for index in range(count):
        api.create(
            name=f"hook {index}",
            environment=ENVIRONMENTS[index % 3],
            enabled=index % 5 != 0,
            events=["license.*"] if index % 2 else ["contract.created"],
        )
    api.create(caller=OTHER_ADMIN)
    # When a reader pages through them 100 at a time
    pages = _all_pages(api, {"limit": "100"}, caller=READER)
    # Then every webhook of the account appears exactly once, without secrets
    ids = [item["webhook_id"] for page in pages for item in page]
    assert [len(page) for page in pages] == [100, 100, 50]
    assert len(ids) == len(set(ids)) == count
    assert all("secret" not in item for page in pages for item in page)
    assert len(api("GET", "/webhooks").body["items"]) == 20  # the default page
    # And each filter (and their combination) selects exactly the matching webhooks, in full pages
    filters: list[tuple[dict[str, str], Callable[[int], bool]]] = [
        ({"environment": "staging"}, lambda i: i % 3 == 1),
        ({"enabled": "false"}, lambda i: i % 5 == 0),
        ({"event": "license.suspended"}, lambda i: i % 2 == 1),
        (
            {"event": "contract.created", "environment": "development", "enabled": "true"},
            lambda i: i % 2 == 0 and i % 3 == 2 and i % 5 != 0,
        ),
    ]
    for query, expected in filters:
        filtered = _all_pages(api, query | {"limit": "30"})
        assert _numbers(filtered) == [i for i in range(count) if expected(i)], query
        assert all(len(page) == 30 for page in filtered[:-1])


def test_a_cursor_only_continues_its_own_accounts_query(api: ManageApi) -> None:
    # Given a first page of staging webhooks
    for index in range(3):
        api.create(name=f"hook {index}", environment="staging")
    cursor = api("GET", "/webhooks", query={"environment": "staging", "limit": "1"}).body["next_cursor"]
    assert api("GET", "/webhooks", query={"environment": "staging", "limit": "1", "cursor": cursor}).status == 200
    # When its cursor is used by another account, for another query, or tampered with
    attempts = [
        api("GET", "/webhooks", caller=OTHER_ADMIN, query={"environment": "staging", "cursor": cursor}),
        api("GET", "/webhooks", query={"environment": "production", "cursor": cursor}),
        api("GET", "/webhooks", query={"cursor": cursor}),
        api("GET", "/webhooks", query={"environment": "staging", "cursor": cursor[:-2] + "AA"}),
        api("GET", "/webhooks", query={"cursor": "not-a-cursor"}),
    ]
    # Then each is a 400 problem
    assert [(answer.status, answer.problem_type) for answer in attempts] == [(400, "invalid-cursor")] * 5


@pytest.mark.parametrize(
    "query", [{"limit": "0"}, {"limit": "101"}, {"environment": "moon"}, {"event": "license.nope"}]
)
def test_invalid_list_parameters_are_a_422_naming_the_parameter(api: ManageApi, query: dict[str, str]) -> None:
    answer = api("GET", "/webhooks", query=query)
    assert (answer.status, answer.problem_type) == (422, "invalid-input")
    assert answer.body["errors"][0]["field"] == next(iter(query))
