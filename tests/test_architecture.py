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


def test_services_never_import_views():
    for path in _modules("services"):
        assert not {m for m in _imports(path) if m.startswith("district_portal.views")}, \
            path.name


def _calls_named(tree: ast.AST, name: str) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == name]


def test_services_never_commit():
    """Services flush; db.py commits once per request (STYLE.md rule 5)."""
    for path in _modules("services"):
        source = path.read_text(encoding="utf-8")
        assert not _calls_named(ast.parse(source), "commit"), path
        assert ".commit(" not in source, path


def _environment_reads(tree: ast.AST) -> list[int]:
    """Lines that touch os.environ / os.getenv / os.putenv, however they are imported."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb",
                                                             "putenv", "unsetenv"}:
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and \
                {a.name for a in node.names} & {"environ", "getenv", "environb"}:
            lines.append(node.lineno)
    return lines


def test_only_config_reads_the_environment():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).as_posix() == "config.py":
            continue
        source = path.read_text(encoding="utf-8")
        assert not _environment_reads(ast.parse(source)), path
        assert "os.environ" not in source and "getenv(" not in source, path


def _import_time_nodes(body: list[ast.stmt]):
    """Every node run when the module is imported: module and class bodies, decorators and
    default values, but not function bodies."""
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for expr in [*stmt.decorator_list, *stmt.args.defaults, *stmt.args.kw_defaults]:
                if expr is not None:
                    yield from ast.walk(expr)
        elif isinstance(stmt, ast.ClassDef):
            for expr in [*stmt.decorator_list, *stmt.bases]:
                yield from ast.walk(expr)
            yield from _import_time_nodes(stmt.body)
        else:
            yield from ast.walk(stmt)


def test_config_reads_the_environment_only_when_a_config_is_created():
    tree = ast.parse((PACKAGE / "config.py").read_text(encoding="utf-8"))
    readers = {"_env", "_flag", "getenv", "_instance_secret"}
    at_import = [node.lineno for node in _import_time_nodes(tree.body)
                 if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                     and node.func.id in readers)
                 or (isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"})]
    assert at_import == []
