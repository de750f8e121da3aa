"""Hypothesis strategies for the bodies of POST /webhooks and PATCH /webhooks/{id}: near the limits and past them.

The bodies are JSON documents, as the API receives them; the model decides which it accepts.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from webhooks.catalogue import EVENT_NAMES, Entity, Environment

# Text as a client may send it: any character, NUL, a lone surrogate (JSON can escape one, UTF-8 cannot hold it),
# line separators, emoji, combining marks and wide spaces.
TEXT = st.text(
    st.characters(codec="utf-8") | st.sampled_from(["\x00", "\ud800", "\u2028", "\U0001f600", "\u0301", "\u3000"])
)
PATTERNS = sorted(EVENT_NAMES) + [f"{entity.value}.*" for entity in Entity] + ["*", "license.nope"]
SECONDS = st.one_of(
    st.integers(min_value=0, max_value=31_000).map(lambda milliseconds: milliseconds / 1000),
    st.floats(min_value=0, max_value=31, allow_nan=False),
    st.integers(min_value=0, max_value=31),
    st.sampled_from([0.0004, 0.0005, 0.001, 0.1 + 0.2, 29.999, 30, 30.0005]),
)
RETRY_POLICIES = st.fixed_dictionaries(
    {"max_attempts": st.integers(min_value=0, max_value=11)},
    optional={
        "initial_backoff_seconds": st.integers(min_value=0, max_value=901),
        "max_backoff_seconds": st.integers(min_value=0, max_value=43_201),
    },
)

_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
# Payload filters: field names in any text, exact numbers of any size, operators right and wrong.
FILTERS = st.sampled_from(
    [{"payload": {"product_id": {"$in": ["prod_a", "prod_b"]}, "seats": {"$gte": 10}}}, {"$or": []}, {"x": {"$gt": []}}]
) | st.dictionaries(
    TEXT | st.sampled_from(["$not", "$eq", "$exist", "$bad"]),
    st.recursive(_JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)),
    max_size=4,
)

_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": st.text(max_size=3).map(lambda pad: f"{pad}hook{pad}") | TEXT.filter(lambda name: len(name) <= 101),
    "url": TEXT.map(lambda path: f"https://hooks.example.com/{path}")
    | st.sampled_from(["https://bücher.example/h", "https://hooks.example.com:8443/a?b=c#d"]),
    "environment": st.sampled_from([environment.value for environment in Environment]),
    "events": st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=6),
    "description": st.none() | TEXT.filter(lambda text: len(text) <= 501),
    "enabled": st.booleans(),
    "retry_policy": st.none() | RETRY_POLICIES,
    "connect_timeout_seconds": SECONDS,
    "read_timeout_seconds": SECONDS,
    "filter": st.none() | FILTERS,
    "signature_scheme": st.sampled_from(["v1", "v1a", "v2", "V1A"]),
}
_REQUIRED = ("name", "url", "environment", "events")


@st.composite
def create_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A POST /webhooks body: the required fields, and any of the optional ones."""
    optional = draw(st.sets(st.sampled_from([name for name in _FIELDS if name not in _REQUIRED])))
    return {name: draw(_FIELDS[name]) for name in [*_REQUIRED, *sorted(optional)]}


@st.composite
def patch_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A PATCH body: one or more fields, each of which may be set or cleared."""
    names = draw(st.sets(st.sampled_from(sorted(_FIELDS)), min_size=1))
    return {name: draw(_FIELDS[name] | st.none()) for name in sorted(names)}
