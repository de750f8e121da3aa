"""The HttpApi's routes as the translated template declares them, and which one API Gateway picks.

A route whose event says `Auth: Authorizer: NONE` (the CORS preflight, the API description) has no JWT
authorizer: its request reaches the function without a token check and without authorizer context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

ANY = "ANY"
_ANY_METHOD = "x-amazon-apigateway-any-method"
_NO_AUTHORIZER: list[dict[str, list[str]]] = [{"NONE": []}]
_VARIABLE = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    authorized: bool

    @property
    def key(self) -> str:
        """The routeKey of the payload 2.0 event, e.g. `ANY /{proxy+}`."""
        return f"{self.method} {self.path}"

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        def segment(part: str) -> str:
            variable = _VARIABLE.fullmatch(part)
            if variable is None:
                return re.escape(part)
            return "(.+)" if variable.group(1).endswith("+") else "([^/]+)"

        return re.compile("/".join(segment(part) for part in self.path.split("/")))

    def parameters(self, path: str) -> dict[str, str] | None:
        """The path parameters when `path` matches this route (a trailing slash ignored); None otherwise."""
        matched = self._pattern.fullmatch(path.removesuffix("/") if path != "/" else path)
        if matched is None:
            return None
        names = [name.removesuffix("+") for name in _VARIABLE.findall(self.path)]
        return dict(zip(names, matched.groups(), strict=True))

    @cached_property
    def specificity(self) -> tuple[int, int, bool]:
        # API Gateway prefers a full path over path variables over a greedy variable, then a method over ANY.
        variables = _VARIABLE.findall(self.path)
        return sum(name.endswith("+") for name in variables), len(variables), self.method == ANY


def http_api_routes(cfn: dict[str, Any], api: str = "HttpApi") -> list[Route]:
    """Every route of the HttpApi's OpenAPI body (the transform puts each function event there)."""
    paths: dict[str, dict[str, Any]] = cfn["Resources"][api]["Properties"]["Body"]["paths"]
    return [
        Route(
            method=ANY if operation == _ANY_METHOD else operation.upper(),
            path=path,
            authorized=bool(spec.get("security")) and spec["security"] != _NO_AUTHORIZER,
        )
        for path, operations in paths.items()
        for operation, spec in operations.items()
    ]


def select_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway gives the request, with its path parameters; None is API Gateway's 404."""
    candidates = [
        (route, parameters)
        for route in routes
        if route.method in {method, ANY} and (parameters := route.parameters(path)) is not None
    ]
    return min(candidates, key=lambda candidate: candidate[0].specificity, default=None)
