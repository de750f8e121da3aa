"""Payload filters: what each operator matches in this domain's bodies, the bounds a filter must keep, and
(hypothesis) that the compiled matcher agrees with a plain recursive reference evaluator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from webhooks.domain.payload_filter import (
    ABSENT,
    MAX_FILTER_BYTES,
    MAX_FILTER_DEPTH,
    MAX_FILTER_OPERATORS,
    InvalidFilter,
    Mismatch,
    check_filter,
    compile_filter,
)


def a_license_body(**payload: Any) -> dict[str, Any]:
    fields = {"id": "lic_1", "product_id": "prod_a", "status": "active", "seats": 10, "tags": ["trial", "edu"]}
    return {
        "event": "license.updated",
        "payload": fields | payload,
        "webhook_id": "wh_1",
        "event_id": "evt_1",
        "occurred_at": "2026-12-03T10:00:00.000Z",
        "environment": "production",
    }


def matches(spec: dict[str, Any], body: dict[str, Any]) -> bool:
    return compile_filter(spec)(body) is None


# --- what a filter matches -------------------------------------------------------------------------------------


def test_a_reseller_receives_its_own_two_products_only() -> None:
    # Given a filter on two product ids
    spec = {"payload": {"product_id": {"$in": ["prod_a", "prod_b"]}}}
    # Then a license of prod_b matches and one of prod_c does not
    assert matches(spec, a_license_body(product_id="prod_b"))
    assert not matches(spec, a_license_body(product_id="prod_c"))


def test_every_key_of_an_object_must_match() -> None:
    spec = {"event": "license.updated", "payload": {"status": "active", "seats": {"$gte": 10}}}
    assert matches(spec, a_license_body(seats=10))
    assert not matches(spec, a_license_body(seats=9))
    assert not matches(spec, a_license_body(status="suspended"))


@pytest.mark.parametrize(
    ("clause", "seats", "expected"),
    [
        ({"$gt": 10}, 10, False),
        ({"$gt": 10}, 11, True),
        ({"$gte": 10}, 10, True),
        ({"$lt": 10}, 9.5, True),
        ({"$lte": 10}, 10.0, True),
        ({"$lte": 10}, "9", False),  # a string never orders against a number
        ({"$eq": 10}, 10.0, True),  # JSON numbers compare by value
        ({"$neq": 10}, 11, True),
        ({"$eq": 1}, True, False),  # true is not 1
    ],
)
def test_seat_counts_compare_as_numbers(clause: dict[str, Any], seats: Any, expected: bool) -> None:
    assert matches({"payload": {"seats": clause}}, a_license_body(seats=seats)) is expected


def test_timestamps_order_as_text() -> None:
    spec = {"occurred_at": {"$gte": "2026-12-01T00:00:00.000Z", "$lt": "2027-01-01T00:00:00.000Z"}}
    assert matches(spec, a_license_body())
    assert not matches(spec, a_license_body() | {"occurred_at": "2027-01-02T00:00:00.000Z"})


def test_prefixes_and_suffixes_of_text() -> None:
    assert matches({"payload": {"product_id": {"$startsWith": "prod_"}}}, a_license_body())
    assert matches({"payload": {"id": {"$endsWith": "_1"}}}, a_license_body())
    assert not matches({"payload": {"seats": {"$startsWith": "1"}}}, a_license_body())  # 10 is not text


def test_an_array_matches_when_it_contains_the_value() -> None:
    assert matches({"payload": {"tags": "edu"}}, a_license_body())
    assert matches({"payload": {"tags": {"$in": ["edu", "gov"]}}}, a_license_body())
    assert not matches({"payload": {"tags": "gov"}}, a_license_body())


def test_an_array_filter_asks_for_each_of_its_items() -> None:
    assert matches({"payload": {"tags": ["edu", "trial"]}}, a_license_body())
    assert not matches({"payload": {"tags": ["edu", "gov"]}}, a_license_body())
    assert not matches({"payload": {"status": ["active"]}}, a_license_body())  # not an array


def test_eq_with_an_array_compares_whole_arrays() -> None:
    assert matches({"payload": {"tags": {"$eq": ["trial", "edu"]}}}, a_license_body())
    assert not matches({"payload": {"tags": {"$eq": ["edu"]}}}, a_license_body())


def test_a_field_of_an_array_of_objects_matches_when_any_element_has_it() -> None:
    body = a_license_body(entitlements=[{"code": "sso", "seats": 5}, {"code": "audit", "seats": 50}])
    assert matches({"payload": {"entitlements": {"code": "audit", "seats": {"$gte": 50}}}}, body)
    assert not matches({"payload": {"entitlements": {"code": "sso", "seats": {"$gte": 50}}}}, body)


def test_missing_fields_match_only_negations() -> None:
    body = a_license_body()
    assert matches({"payload": {"suspended_reason": {"$exist": False}}}, body)
    assert matches({"payload": {"suspended_reason": {"$neq": "fraud"}}}, body)
    assert matches({"payload": {"suspended_reason": {"$nin": ["fraud"]}}}, body)
    assert not matches({"payload": {"suspended_reason": {"$exist": True}}}, body)
    assert not matches({"payload": {"suspended_reason": None}}, body)  # null is present, absent is not


def test_null_is_present() -> None:
    body = a_license_body(assignee=None)
    assert matches({"payload": {"assignee": {"$exist": True}}}, body)
    assert matches({"payload": {"assignee": None}}, body)


def test_or_and_not_combine_clauses() -> None:
    big_or_trial = {"payload": {"$or": [{"seats": {"$gte": 100}}, {"tags": "trial"}]}}
    assert matches(big_or_trial, a_license_body(seats=1))
    assert not matches(big_or_trial, a_license_body(seats=1, tags=[]))
    not_revoked = {"payload": {"status": {"$not": {"$in": ["revoked", "expired"]}}}}
    assert matches(not_revoked, a_license_body())
    assert not matches(not_revoked, a_license_body(status="revoked"))
    both = {"$and": [{"event": {"$startsWith": "license."}}, {"payload": {"seats": {"$lt": 50}}}]}
    assert matches(both, a_license_body())


def test_a_mismatch_names_the_first_clause_that_failed_and_what_the_body_holds_there() -> None:
    # Given a filter whose second clause fails
    spec = {"payload": {"product_id": {"$in": ["prod_a"]}, "seats": {"$gte": 50}}}
    # When it is matched against a license with 10 seats
    mismatch = compile_filter(spec)(a_license_body())
    # Then the mismatch is the seats clause, with the 10 it found
    assert mismatch == Mismatch(("payload", "seats", "$gte"), {"$gte": 50}, 10)
    assert mismatch.location == "payload.seats.$gte"


def test_a_mismatch_on_a_missing_field_says_it_is_absent() -> None:
    mismatch = compile_filter({"payload": {"region": "eu"}})(a_license_body())
    assert mismatch is not None
    assert mismatch.actual is ABSENT


# --- bounds and bad filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "path", "says"),
    [
        ({"payload": {"seats": {"$gte": True}}}, ("payload", "seats", "$gte"), "number or a string"),
        ({"payload": {"seats": {"$gte": [1]}}}, ("payload", "seats", "$gte"), "number or a string"),
        ({"payload": {"status": {"$regex": "^a"}}}, ("payload", "status", "$regex"), "not an operator"),
        ({"payload": {"status": {"$in": "active"}}}, ("payload", "status", "$in"), "array of values"),
        ({"payload": {"status": {"$exist": "yes"}}}, ("payload", "status", "$exist"), "true or false"),
        ({"payload": {"$or": []}}, ("payload", "$or"), "non-empty array"),
        ({"payload": {"$or": [{"seats": 1}, {"seats": {"$lt": None}}]}}, ("payload", "$or", 1, "seats", "$lt"), ""),
        ({"payload": {"id": {"$startsWith": 1}}}, ("payload", "id", "$startsWith"), "takes a string"),
        ({"payload": {"$not": {"status": {"$bad": 1}}}}, ("payload", "$not", "status", "$bad"), "not an operator"),
        ({"payload": {"tags": ["edu", {"$endsWith": 2}]}}, ("payload", "tags", 1, "$endsWith"), "takes a string"),
    ],
)
def test_a_bad_clause_is_refused_with_its_place(spec: dict[str, Any], path: tuple[Any, ...], says: str) -> None:
    with pytest.raises(InvalidFilter) as refused:
        check_filter(spec)
    assert refused.value.path == path
    assert says in refused.value.message


@pytest.mark.parametrize("spec", ["active", ["active"], 3, None])
def test_a_filter_is_an_object(spec: Any) -> None:
    with pytest.raises(InvalidFilter, match="JSON object shaped like the delivered body"):
        check_filter(spec)


def test_a_filter_nested_too_deep_is_refused_where_it_goes_too_deep() -> None:
    spec: dict[str, Any] = {"leaf": 1}
    for level in range(MAX_FILTER_DEPTH):
        spec = {f"level{level}": spec}
    with pytest.raises(InvalidFilter, match="deeper than") as refused:
        check_filter(spec)
    assert len(refused.value.path) == MAX_FILTER_DEPTH
    check_filter(spec[f"level{MAX_FILTER_DEPTH - 1}"])  # one level less is fine


def test_too_many_operators_are_refused() -> None:
    fits = {"payload": {f"field{index}": {"$exist": True} for index in range(MAX_FILTER_OPERATORS)}}
    check_filter(fits)
    over = {"payload": {f"field{index}": {"$exist": True} for index in range(MAX_FILTER_OPERATORS + 1)}}
    with pytest.raises(InvalidFilter, match=f"at most {MAX_FILTER_OPERATORS}"):
        check_filter(over)


def test_a_filter_over_the_size_bound_is_refused() -> None:
    with pytest.raises(InvalidFilter, match=f"at most {MAX_FILTER_BYTES}"):
        check_filter({"payload": {"product_id": {"$in": ["p" * 100] * 50}}})


# --- the matcher agrees with a plain reference evaluator (hypothesis) -------------------------------------------

_MISSING = object()


def _canonical(value: Any) -> Any:
    """A value as a comparable key: JSON numbers by exact value, booleans, null and text kept apart."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", Decimal(repr(value)))
    if isinstance(value, dict):
        return ("object", tuple(sorted((key, _canonical(item)) for key, item in value.items())))
    if isinstance(value, list):
        return ("array", tuple(_canonical(item) for item in value))
    return (type(value).__name__, value)


def _same(left: Any, right: Any) -> bool:
    return left is not _MISSING and right is not _MISSING and _canonical(left) == _canonical(right)


def _each(value: Any) -> list[Any]:
    """What an element-wise test looks at: an array's elements, a value alone, nothing for a missing field."""
    if value is _MISSING:
        return []
    return value if isinstance(value, list) else [value]


def _ordered(name: str, value: Any, operand: Any) -> bool:
    kind = "number" if _canonical(operand)[0] == "number" else "str"
    if _canonical(value)[0] != kind:
        return False
    left, right = (_canonical(value)[1], _canonical(operand)[1])
    return bool({"$gt": left > right, "$gte": left >= right, "$lt": left < right, "$lte": left <= right}[name])


def reference(spec: Any, value: Any) -> bool:
    """The filter rules read one by one, as the module docstring states them."""
    if isinstance(spec, list):
        return isinstance(value, list) and all(any(reference(item, element) for element in value) for item in spec)
    if not isinstance(spec, dict):
        return any(_same(element, spec) for element in _each(value))
    fields = {key: operand for key, operand in spec.items() if not key.startswith("$")}
    operators = {key: operand for key, operand in spec.items() if key.startswith("$")}
    return (not fields or _reference_fields(fields, value)) and all(
        _reference_operator(key, operand, value) for key, operand in operators.items()
    )


def _reference_fields(fields: dict[str, Any], value: Any) -> bool:
    """An object's field keys describe one object: of an array, one element must match them all."""
    if isinstance(value, dict):
        return all(reference(spec, value.get(name, _MISSING)) for name, spec in fields.items())
    if isinstance(value, list):
        return any(_reference_fields(fields, element) for element in value)
    return all(reference(spec, _MISSING) for spec in fields.values())


def _reference_operator(name: str, operand: Any, value: Any) -> bool:
    if name == "$eq":
        return _same(value, operand) if isinstance(operand, list) else any(_same(e, operand) for e in _each(value))
    if name == "$neq":
        return not _reference_operator("$eq", operand, value)
    if name == "$in":
        return any(_same(element, option) for element in _each(value) for option in operand)
    if name == "$nin":
        return not _reference_operator("$in", operand, value)
    if name == "$exist":
        return (value is not _MISSING) is operand
    if name in ("$gt", "$gte", "$lt", "$lte"):
        return any(_ordered(name, element, operand) for element in _each(value))
    if name == "$startsWith":
        return any(isinstance(e, str) and e[: len(operand)] == operand for e in _each(value))
    if name == "$endsWith":
        return any(
            isinstance(e, str) and len(e) >= len(operand) and e[len(e) - len(operand) :] == operand
            for e in _each(value)
        )
    if name == "$or":
        return any(reference(branch, value) for branch in operand)
    if name == "$and":
        return all(reference(branch, value) for branch in operand)
    return not reference(operand, value)  # $not


_KEYS = st.sampled_from(["status", "seats", "product_id", "tags"])
_SCALARS = st.sampled_from([None, True, False, 0, 1, -1, 1.0, 2.5, "", "a", "ab", "b"])
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)
_ORDERABLE = st.integers(-3, 3) | st.sampled_from([1.0, 2.5, "a", "b", "ab"])
_TEXT = st.sampled_from(["", "a", "b", "ab"])


def _operators(filters: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda operand: {"$eq": operand}, _VALUES),
        st.builds(lambda operand: {"$neq": operand}, _VALUES),
        st.builds(lambda name, operand: {name: operand}, st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), _ORDERABLE),
        st.builds(
            lambda name, options: {name: options}, st.sampled_from(["$in", "$nin"]), st.lists(_SCALARS, max_size=3)
        ),
        st.builds(lambda present: {"$exist": present}, st.booleans()),
        st.builds(lambda name, text: {name: text}, st.sampled_from(["$startsWith", "$endsWith"]), _TEXT),
        st.builds(
            lambda name, branches: {name: branches},
            st.sampled_from(["$or", "$and"]),
            st.lists(filters, min_size=1, max_size=2),
        ),
        st.builds(lambda negated: {"$not": negated}, filters),
    )


_FILTERS = st.recursive(
    _SCALARS,
    lambda inner: (
        _operators(inner) | st.dictionaries(_KEYS, inner, min_size=1, max_size=2) | st.lists(inner, max_size=2)
    ),
    max_leaves=6,
)
_TOP_FILTERS = st.dictionaries(_KEYS, _FILTERS, min_size=1, max_size=3) | _operators(_FILTERS)


def _within_bounds(spec: dict[str, Any]) -> bool:
    try:
        check_filter(spec)
    except InvalidFilter:
        return False
    return True


def _neighbours(literal: Any) -> list[Any]:
    """A literal and the values next to it, where an operator's edge lies."""
    if isinstance(literal, str):
        return [literal, literal + "a", literal[:-1], "a" + literal]
    if isinstance(literal, int | float) and not isinstance(literal, bool):
        return [literal, literal + 1, literal - 1, float(literal)]
    return [literal]


def _shaped_like(spec: Any) -> st.SearchStrategy[Any]:
    """Values shaped like the filter (its fields present or not, its literals and their neighbours), or any value:
    so that generated bodies meet each clause on both sides of its edge."""
    if isinstance(spec, list):
        return st.lists(st.one_of(*(_shaped_like(item) for item in spec), _VALUES), max_size=3)
    if not isinstance(spec, dict):
        return st.sampled_from(_neighbours(spec)) | _VALUES
    fields = {key: _shaped_like(operand) for key, operand in spec.items() if not key.startswith("$")}
    shapes = [_VALUES]
    if fields:
        one = st.fixed_dictionaries({}, optional=fields)
        shapes += [one, st.lists(one, max_size=3)]
    for name, operand in spec.items():
        if name in ("$or", "$and"):
            shapes += [_shaped_like(branch) for branch in operand]
        elif name in ("$not", "$eq", "$neq"):
            shapes.append(_shaped_like(operand))
        elif name.startswith("$") and operand not in (True, False):
            options = [
                literal
                for option in (operand if isinstance(operand, list) else [operand])
                for literal in _neighbours(option)
            ]
            shapes += [st.sampled_from(options), st.lists(st.sampled_from(options), max_size=3)] if options else []
    return st.one_of(*shapes)


@settings(max_examples=1000, deadline=None)
@given(spec=_TOP_FILTERS, data=st.data())
def test_the_matcher_agrees_with_the_reference_evaluator(spec: dict[str, Any], data: st.DataObject) -> None:
    assume(_within_bounds(spec))  # past a bound it is refused, as the bound tests show
    body = data.draw(_shaped_like(spec))
    assert (compile_filter(spec)(body) is None) is reference(spec, body)
