"""Domain slices (docs/adr/0007-domain-slices.md): within a domain, only its `http`
subpackage speaks HTTP. import-linter checks the layers between packages; this checks
the line inside each domain, which import-linter cannot express."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import digisom

PACKAGE_ROOT = Path(digisom.__file__).parent
DOMAINS = ("cbdc", "interbank", "disbursement", "offline", "stablecoin", "registry", "usdkg", "compliance",
           "remittance", "vasp_reports", "travelrule", "por", "merchants",
           "reserve", "transparency")
HTTP_MODULES = ("fastapi", "starlette", "digisom.http")


def imported_modules(source: str) -> Iterator[str]:
    """Every module a source file imports (absolute imports; the project uses no others)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def speaks_http(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in HTTP_MODULES)


@pytest.mark.parametrize("domain", DOMAINS)
def test_only_a_domains_http_package_imports_the_web_framework(domain: str) -> None:
    root = PACKAGE_ROOT / domain
    offenders = [
        f"{path.relative_to(PACKAGE_ROOT)}: {module}"
        for path in sorted(root.rglob("*.py"))
        if "http" not in path.relative_to(root).parts[:-1]
        for module in imported_modules(path.read_text())
        if speaks_http(module)
    ]
    assert offenders == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_domain_has_its_routes_beside_its_service(domain: str) -> None:
    assert (PACKAGE_ROOT / domain / "http" / "__init__.py").is_file()


def test_the_check_sees_an_http_import() -> None:
    assert speaks_http("fastapi.responses")
    assert speaks_http("digisom.http.problems")
    assert not speaks_http("digisom.httpx")
    assert list(imported_modules("from fastapi import Request\nimport starlette.types\n")) == [
        "fastapi", "starlette.types"]
