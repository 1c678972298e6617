"""The layering rules of DESIGN.md §2 and STYLE.md, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import district_portal

PACKAGE = Path(district_portal.__file__).parent


def _modules(folder: str):
    return sorted((PACKAGE / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_views_write_no_sql_themselves():
    for path in _modules("views"):
        assert not {m for m in _imports(path) if m.split(".")[0] == "sqlalchemy"}, path.name


def test_services_never_import_views_nor_commit():
    for path in _modules("services"):
        assert not {m for m in _imports(path) if m.startswith("district_portal.views")}, \
            path.name
        assert ".commit()" not in path.read_text(encoding="utf-8"), path.name


def test_only_config_reads_the_environment():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "config.py":
            continue
        source = path.read_text(encoding="utf-8")
        assert "os.environ" not in source and "getenv(" not in source, path.name


def test_forms_never_import_services():
    for path in _modules("forms"):
        assert not {m for m in _imports(path) if m.startswith("district_portal.services")}, \
            path.name


def test_services_never_import_forms():
    for path in _modules("services"):
        assert not {m for m in _imports(path) if m.startswith("district_portal.forms")}, \
            path.name


def test_the_e_form_is_a_domain_module_free_of_forms_views_and_services():
    for path in _modules("eform"):
        assert not {m for m in _imports(path) if m.startswith((
            "district_portal.forms", "district_portal.views", "district_portal.services",
            "wtforms", "flask_wtf"))}, path.name
