"""Template parameter overrides for the local stack (`make run PARAMS="AutoDisableAfterHours=0.01"`), in the
syntax of `sam deploy --parameter-overrides`: space-separated `Key=Value` pairs (quoted where a value holds
spaces), or the long form `ParameterKey=Key,ParameterValue=Value`.

Each override is checked as CloudFormation checks a parameter (known name, Number, MinValue/MaxValue,
AllowedValues), so a typo stops the stack with a clear message instead of running on the default.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Mapping
from typing import Any

_LONG_FORM = "ParameterKey="


class InvalidOverride(ValueError):
    """An override the template cannot take; the message says which and why."""


def parse_overrides(text: str, parameters: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The overrides in `text`, by parameter name, each checked against the template's `parameters`."""
    try:
        tokens = shlex.split(text)
    except ValueError as error:
        raise InvalidOverride(f"parameter overrides: {error}") from None
    overrides: dict[str, str] = {}
    for token in tokens:
        name, value = _pair(token)
        _check(name, value, parameters)
        overrides[name] = value
    return overrides


def _pair(token: str) -> tuple[str, str]:
    if token.startswith(_LONG_FORM):
        key_part, separator, value_part = token.partition(",ParameterValue=")
        if separator:
            return key_part.removeprefix(_LONG_FORM), value_part
    name, separator, value = token.partition("=")
    if not separator or not name:
        raise InvalidOverride(f"{token!r}: an override is Key=Value (or ParameterKey=Key,ParameterValue=Value)")
    return name, value


def _check(name: str, value: str, parameters: Mapping[str, Mapping[str, Any]]) -> None:
    spec = parameters.get(name)
    if spec is None:
        near = difflib.get_close_matches(name, list(parameters), n=1)
        hint = f"; did you mean {near[0]}?" if near else ""
        raise InvalidOverride(f"{name}: not a parameter of template.yaml{hint}")
    allowed = [str(option) for option in spec.get("AllowedValues", [])]
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise InvalidOverride(f"{name}={value}: must be a number") from None
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise InvalidOverride(f"{name}={value}: must be at least {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise InvalidOverride(f"{name}={value}: must be at most {spec['MaxValue']}")
        if allowed and number not in {float(option) for option in allowed}:
            raise InvalidOverride(f"{name}={value}: must be one of {', '.join(allowed)}")
    elif allowed and value not in allowed:
        raise InvalidOverride(f"{name}={value}: must be one of {', '.join(allowed)}")
