"""POST /webhooks/filter-test: whether a payload filter matches a body, and the first clause that did not."""

from __future__ import annotations

import json
from functools import cache
from http import HTTPStatus
from typing import Annotated, Any, Self

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from pydantic import AfterValidator, ConfigDict, Field, model_validator

from webhooks.api.auth import current_principal
from webhooks.api.bodies import Input, Output
from webhooks.api.docs import EXAMPLE_REQUESTS
from webhooks.api.webhook_routes import responses
from webhooks.catalogue import EVENT_NAMES, TEST_EVENT
from webhooks.domain.payload_filter import ABSENT, Mismatch, compile_filter
from webhooks.domain.principal import Principal
from webhooks.domain.webhook import PayloadFilter

router = Router()  # type: ignore[no-untyped-call]


def _known_event(event: str) -> str:
    if event not in EVENT_NAMES | {TEST_EVENT}:
        raise ValueError("not an event of the catalogue")
    return event


class FilterTest(Input):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    filter: PayloadFilter
    body: dict[str, Any] | None = Field(default=None, description="A delivered body to match the filter against.")
    event: Annotated[str, AfterValidator(_known_event)] | None = Field(
        default=None, description="Or an event name: the filter is matched against the catalogue's example of it."
    )

    @model_validator(mode="after")
    def _one_body(self) -> Self:
        if (self.body is None) == (self.event is None):
            raise ValueError("give either `body` or `event`, not both or neither")
        return self


class FailedClause(Output):
    location: str = Field(description="Where the clause is in the filter, as keys and indexes: `payload.seats.$gte`.")
    clause: Any = Field(description="The part of the filter that did not match.")
    present: bool = Field(description="Whether the body has a value there; `found` is that value.")
    found: Any = Field(description="What the body holds there (null when it holds nothing: see `present`).")

    @classmethod
    def of(cls, mismatch: Mismatch) -> Self:
        present = mismatch.actual is not ABSENT
        return cls(
            location=mismatch.location,
            clause=mismatch.clause,
            present=present,
            found=mismatch.actual if present else None,
        )


class FilterTestResult(Output):
    matches: bool
    failed_clause: FailedClause | None = Field(description="The first clause that did not match; null when it matches.")
    body: dict[str, Any] = Field(description="The body matched: yours, or the catalogue's example of the event.")


@cache
def _example_bodies() -> dict[str, dict[str, Any]]:
    examples = json.loads(EXAMPLE_REQUESTS.read_text(encoding="utf-8"))
    return {event: example["body"] for event, example in examples.items()}


@router.post(
    "/webhooks/filter-test",
    tags=["webhooks"],
    responses=responses(HTTPStatus.OK, FilterTestResult),
    summary="Try a payload filter on a body, or on the catalogue's example of an event",
)
def try_filter(trial: FilterTest, _: Annotated[Principal, Depends(current_principal)]) -> FilterTestResult:
    body = trial.body if trial.body is not None else _example_bodies()[str(trial.event)]
    mismatch = compile_filter(trial.filter)(body)
    return FilterTestResult(
        matches=mismatch is None, failed_clause=None if mismatch is None else FailedClause.of(mismatch), body=body
    )
