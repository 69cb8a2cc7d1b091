"""Which part of the app may import which: the write path and the domain stay below the API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "marketu_app"


def imports_of(path: Path) -> set[str]:
    """Every marketu_app module a file imports, wherever the import statement stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("marketu_app")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("marketu_app"):
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def module_files(folder: str) -> list[Path]:
    return sorted(p for p in (PACKAGE / folder).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("folder", ["db", "demo", "auth", "domain", "ems"])
def test_the_write_path_does_not_import_the_api(folder):
    offenders = {str(p.relative_to(PACKAGE)): sorted(m for m in imports_of(p) if m.startswith("marketu_app.api"))
                 for p in module_files(folder)}
    assert not {k: v for k, v in offenders.items() if v}


def test_the_domain_imports_only_the_domain():
    offenders = {str(p.relative_to(PACKAGE)): sorted(m for m in imports_of(p)
                                                     if not m.startswith("marketu_app.domain"))
                 for p in module_files("domain")}
    assert not {k: v for k, v in offenders.items() if v}


def test_auth_modules_do_not_import_each_other_in_a_circle():
    """auth/login.py signs in through sessions; sessions (the password change) shares the attempt limits
    with it through auth/attempts.py, not by importing login back."""
    modules = {f"marketu_app.auth.{p.stem}": p for p in module_files("auth") if p.stem != "__init__"}
    graph = {name: {m for m in imports_of(path) for other in modules if m == other or m.startswith(other + ".")}
                    - {name} for name, path in modules.items()}
    graph = {name: {m if m in modules else m.rsplit(".", 1)[0] for m in deps} for name, deps in graph.items()}

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        return any(dep == target or (dep not in seen and reaches(dep, target, seen | {dep}))
                   for dep in graph.get(start, ()))

    circles = sorted(name for name in modules if reaches(name, name, {name}))
    assert circles == []
