"""The bounds that keep the code readable for a newcomer, checked on every run rather than by review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_ROOT = ROOT / "layers" / "common"
CODE = [ROOT / folder for folder in ("layers", "functions", "local", "bench", "tools")]
MAX_MODULE_LINES = 300
# Only adapters talk to AWS or the network; the functions' wiring and the local stack stand outside the layer.
NETWORK_LIBRARIES = ("boto3", "botocore", "urllib3", "requests")


def _modules() -> list[Path]:
    return sorted(path for folder in CODE for path in folder.rglob("*.py") if ".aws-sam" not in path.parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_is_longer_than_a_newcomer_reads_at_once(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES


def test_code_names_no_document_outside_the_repository() -> None:
    naming = [str(path.relative_to(ROOT)) for path in _modules() if "DESIGN.md" in path.read_text(encoding="utf-8")]
    assert naming == []


def test_only_adapters_import_aws_or_http_clients() -> None:
    layer = PACKAGE_ROOT / "webhooks"
    offenders = sorted(
        str(path.relative_to(ROOT))
        for path in layer.rglob("*.py")
        if "adapters" not in path.parts and any(name.split(".")[0] in NETWORK_LIBRARIES for name in _imports(path))
    )
    assert offenders == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_the_shared_package_has_no_import_cycles() -> None:
    modules = {
        ".".join(path.relative_to(PACKAGE_ROOT).with_suffix("").parts).removesuffix(".__init__"): path
        for path in (PACKAGE_ROOT / "webhooks").rglob("*.py")
    }
    graph = {name: {t for t in _imports(path) if t in modules and t != name} for name, path in modules.items()}
    assert _cycles(graph) == []
