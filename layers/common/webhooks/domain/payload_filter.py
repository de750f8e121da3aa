"""Payload filters: a JSON object shaped like the delivered body, matched against it (simple-json-match style).

    {"payload": {"product_id": {"$in": ["prod_a", "prod_b"]}, "seats": {"$gte": 10}}}

- A field name selects that field of the value; every key of an object must match (an implicit `$and`).
- A scalar matches an equal value (JSON equality: `1` equals `1.0`, `true` is not `1`).
- An array value matches a filter when any of its elements does, so `{"tags": "trial"}` matches
  `{"tags": ["trial", "edu"]}`; an array filter matches an array that contains each of its items.
- Operators: `$eq $neq $gt $gte $lt $lte $in $nin $exist $startsWith $endsWith $or $and $not`.
  `$neq` and `$nin` are the negations of `$eq` and `$in`, so a missing field matches them; `$exist`
  tests presence (null is present). Ordering compares numbers with numbers and strings with strings
  (RFC 3339 timestamps of one format order as text), never one with the other.

A filter is compiled once into closures; a match answers None and a mismatch names the first clause that failed.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# Bounds that keep a filter cheap to store, to read with every batch and to evaluate for every event.
MAX_FILTER_BYTES = 4096
MAX_FILTER_DEPTH = 8
MAX_FILTER_OPERATORS = 32

_COMPARISONS = ("$gt", "$gte", "$lt", "$lte")
_STRING_TESTS = ("$startsWith", "$endsWith")
_LOGICAL = ("$or", "$and")
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}
OPERATORS = ("$eq", "$neq", *_COMPARISONS, "$in", "$nin", "$exist", *_STRING_TESTS, *_LOGICAL, "$not")


class _Absent:
    """A field the value does not have (distinct from null, which is present)."""

    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()


class InvalidFilter(ValueError):
    """A filter that cannot be used, with the place of the bad part (keys and indexes from the filter's root)."""

    def __init__(self, path: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The first clause that failed: where it is in the filter, what it asks, and what the body holds there."""

    path: tuple[str | int, ...]
    clause: Any
    actual: Any  # ABSENT when the body has nothing there

    @property
    def location(self) -> str:
        return ".".join(str(part) for part in self.path) or "$"


Test = Callable[[Any], Mismatch | None]


def check_filter(spec: Any) -> dict[str, Any]:
    """The filter, or InvalidFilter naming its first bad part: an object, within the size, depth and operator bounds."""
    if not isinstance(spec, dict):
        raise InvalidFilter((), "a filter is a JSON object shaped like the delivered body")
    size = len(json.dumps(spec, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_FILTER_BYTES:
        raise InvalidFilter((), f"is {size} bytes as JSON; a filter may have at most {MAX_FILTER_BYTES}")
    operators = _check(spec, (), 1)
    if operators > MAX_FILTER_OPERATORS:
        raise InvalidFilter((), f"has {operators} operators; a filter may have at most {MAX_FILTER_OPERATORS}")
    return spec


def compile_filter(spec: dict[str, Any]) -> Test:
    """A filter that passed `check_filter` (the `PayloadFilter` field type checks every one it holds) as a test
    of a delivered body: None when it matches, else the first Mismatch. It is not checked again here."""
    return _compile(spec, ())


def _check(spec: Any, path: tuple[str | int, ...], depth: int) -> int:
    """Operators counted in `spec`; InvalidFilter at the first bad part."""
    if isinstance(spec, dict | list) and depth > MAX_FILTER_DEPTH:
        raise InvalidFilter(path, f"nests deeper than {MAX_FILTER_DEPTH} levels")
    if isinstance(spec, list):
        return sum(_check(item, (*path, index), depth + 1) for index, item in enumerate(spec))
    if not isinstance(spec, dict):
        return 0
    operators = 0
    for key, operand in spec.items():
        place = (*path, key)
        if not key.startswith("$"):
            operators += _check(operand, place, depth + 1)
            continue
        operators += 1
        if key not in OPERATORS:
            raise InvalidFilter(place, f"is not an operator; use one of {', '.join(OPERATORS)}")
        problem = _operand_problem(key, operand)
        if problem:
            raise InvalidFilter(place, problem)
        if key in _LOGICAL or key == "$not":
            branches = operand if key in _LOGICAL else [operand]
            operators += sum(
                _check(branch, (*place, index) if key in _LOGICAL else place, depth + 1)
                for index, branch in enumerate(branches)
            )
    return operators


def _operand_problem(operator: str, operand: Any) -> str | None:
    if operator in _COMPARISONS and not (_is_number(operand) or isinstance(operand, str)):
        return "compares with a number or a string"
    if operator in _STRING_TESTS and not isinstance(operand, str):
        return "takes a string"
    if operator in ("$in", "$nin") and not isinstance(operand, list):
        return "takes an array of values"
    if operator == "$exist" and not isinstance(operand, bool):
        return "takes true or false"
    if operator in _LOGICAL and not (isinstance(operand, list) and operand):
        return "takes a non-empty array of filters"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON has it: numbers by value whatever their type, booleans apart from numbers."""
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(json_equal(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right)


def _compile(spec: Any, path: tuple[str | int, ...]) -> Test:
    if isinstance(spec, list):
        return _contains_each([_compile(item, (*path, index)) for index, item in enumerate(spec)], spec, path)
    if not isinstance(spec, dict):
        return _any_element(lambda value: json_equal(value, spec), spec, path)
    fields = {key: _compile(operand, (*path, key)) for key, operand in spec.items() if not key.startswith("$")}
    operators = [_operator(key, operand, (*path, key)) for key, operand in spec.items() if key.startswith("$")]
    return _all([_fields(fields, spec, path), *operators] if fields else operators)


def _operator(name: str, operand: Any, path: tuple[str | int, ...]) -> Test:
    clause = {name: operand}
    if name in ("$eq", "$neq"):
        equal = _whole_or_element(lambda value: json_equal(value, operand), operand, clause, path)
        return equal if name == "$eq" else _negated(equal, clause, path)
    if name in ("$in", "$nin"):
        member = _any_element(lambda value: any(json_equal(value, option) for option in operand), clause, path)
        return member if name == "$in" else _negated(member, clause, path)
    if name == "$exist":
        return _leaf(lambda value: (value is not ABSENT) is operand, clause, path)
    if name in _COMPARISONS:
        return _any_element(_ordering(name, operand), clause, path)
    if name in _STRING_TESTS:
        method = str.startswith if name == "$startsWith" else str.endswith
        return _any_element(lambda value: isinstance(value, str) and method(value, operand), clause, path)
    if name == "$not":
        return _negated(_compile(operand, path), clause, path)
    branches = [_compile(branch, (*path, index)) for index, branch in enumerate(operand)]
    return _all(branches) if name == "$and" else _either(branches, clause, path)


def _ordering(name: str, operand: Any) -> Callable[[Any], bool]:
    comparable: Callable[[Any], bool] = _is_number if _is_number(operand) else lambda value: isinstance(value, str)
    compare = _ORDER[name]
    return lambda value: comparable(value) and compare(value, operand)


def _leaf(holds: Callable[[Any], bool], clause: Any, path: tuple[str | int, ...]) -> Test:
    return lambda value: None if holds(value) else Mismatch(path, clause, value)


def _any_element(holds: Callable[[Any], bool], clause: Any, path: tuple[str | int, ...]) -> Test:
    """A test of one value that an array passes when any of its elements does."""

    def test(value: Any) -> Mismatch | None:
        if isinstance(value, list):
            return None if any(holds(element) for element in value) else Mismatch(path, clause, value)
        return None if value is not ABSENT and holds(value) else Mismatch(path, clause, value)

    return test


def _whole_or_element(holds: Callable[[Any], bool], operand: Any, clause: Any, path: tuple[str | int, ...]) -> Test:
    """`$eq` with an array compares whole arrays; with anything else, an array passes when an element is equal."""
    return _leaf(holds, clause, path) if isinstance(operand, list) else _any_element(holds, clause, path)


def _fields(tests: dict[str, Test], clause: Any, path: tuple[str | int, ...]) -> Test:
    """The field keys of one object: each selects that field of the value. Of an array they must all match
    one element (they describe one object), as an array passes any test that one of its elements passes."""

    def select(value: Any) -> Mismatch | None:
        if isinstance(value, dict):
            return _first_mismatch([(test, value.get(name, ABSENT)) for name, test in tests.items()])
        if not isinstance(value, list):
            return _first_mismatch([(test, ABSENT) for test in tests.values()])
        first: Mismatch | None = None
        for element in value:
            mismatch = select(element)
            if mismatch is None:
                return None
            first = first or mismatch
        return first or Mismatch(path, clause, value)  # an empty array: no element to match

    return select


def _first_mismatch(tests: list[tuple[Test, Any]]) -> Mismatch | None:
    for test, value in tests:
        mismatch = test(value)
        if mismatch is not None:
            return mismatch
    return None


def _contains_each(items: list[Test], clause: Any, path: tuple[str | int, ...]) -> Test:
    def test(value: Any) -> Mismatch | None:
        if not isinstance(value, list):
            return Mismatch(path, clause, value)
        for item in items:
            if all(item(element) is not None for element in value):
                return Mismatch(path, clause, value)
        return None

    return test


def _all(tests: list[Test]) -> Test:
    def test(value: Any) -> Mismatch | None:
        for each in tests:
            mismatch = each(value)
            if mismatch is not None:
                return mismatch
        return None

    return test


def _either(branches: list[Test], clause: Any, path: tuple[str | int, ...]) -> Test:
    return _leaf(lambda value: any(branch(value) is None for branch in branches), clause, path)


def _negated(test: Test, clause: Any, path: tuple[str | int, ...]) -> Test:
    return _leaf(lambda value: test(value) is not None, clause, path)
