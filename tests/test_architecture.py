"""The layering rules of DESIGN.md §2 and STYLE.md, checked on the source."""

from __future__ import annotations

import ast
import re
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
            # `from district_portal import db` imports the module district_portal.db
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
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
    """Lines that touch os.environ / os.getenv / os.putenv, however they are imported. (A
    request's WSGI environment, `request.environ`, is not the process's.)"""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb",
                                                             "putenv", "unsetenv"}:
            if not (isinstance(node.value, ast.Name) and node.value.id == "request"):
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


# --- the transition table is the only place for status rules (STYLE.md rule 4) -------------

WORKFLOW_MODULES = {PACKAGE / "services/dossiers/workflow.py",
                    PACKAGE / "services/dossiers/handlers.py"}
TEMPLATES = PACKAGE.parent / "templates"


def _status_values() -> set[str]:
    from district_portal.models import DossierStatus

    return {s.value for s in DossierStatus}


def _status_aliases(tree: ast.AST) -> set[str]:
    """Names bound to the DossierStatus enum in a module: itself, `as S`, `S = DossierStatus`."""
    names = {"DossierStatus"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.update(a.asname for a in node.names if a.name == "DossierStatus" and a.asname)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and \
                node.value.id == "DossierStatus":
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _is_status(node: ast.AST, aliases: set[str]) -> bool:
    """A DossierStatus member (S.DONE, DossierStatus.DONE) or a status name as a string."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id in aliases and node.attr.isupper()
    return isinstance(node, ast.Constant) and node.value in _status_values()


def _app_modules():
    return [p for p in sorted(PACKAGE.rglob("*.py")) if p not in WORKFLOW_MODULES]


def _mentions_status(node: ast.AST, aliases: set[str]) -> bool:
    return any(_is_status(n, aliases) or (isinstance(n, ast.Name) and n.id in aliases)
               for n in ast.walk(node))


def _status_writes(path: Path) -> list[int]:
    """Lines that set a dossier's status: `x.status = …` (but `self.status`, an HTTP status),
    setattr(x, "status", …), Dossier(status=…) other than a new draft, .values(status=…)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = _status_aliases(tree)
    lines = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "status" and not (
                    isinstance(target.value, ast.Name) and target.value.id == "self"):
                lines.append(node.lineno)
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else \
            func.attr if isinstance(func, ast.Attribute) else ""
        if name == "setattr" and len(node.args) > 1 and \
                isinstance(node.args[1], ast.Constant) and node.args[1].value == "status":
            lines.append(node.lineno)
        for kw in node.keywords:
            if kw.arg != "status":
                continue
            draft = isinstance(kw.value, ast.Attribute) and kw.value.attr == "DRAFT"
            if (name == "Dossier" and not draft) or \
                    (name == "values" and _mentions_status(kw.value, aliases)):
                lines.append(node.lineno)
    return sorted(lines)


def test_only_the_workflow_assigns_a_dossier_status():
    found = {p.relative_to(PACKAGE).as_posix(): lines for p in _app_modules()
             if (lines := _status_writes(p))}
    assert found == {}


def test_the_status_write_check_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from district_portal.models import DossierStatus as S\n"
        "dossier.status = S.DONE\n"
        "setattr(d, 'status', 'done')\n"
        "Dossier(status=S.ACCEPTED)\n"
        "update(Dossier).values(status=S.STOPPED)\n"
        "self.status = 409\n"
        "Dossier(status=S.DRAFT)\n", encoding="utf-8")
    assert _status_writes(sample) == [2, 3, 4, 5]


def _status_sets(path: Path) -> list[int]:
    """Lines with a set, tuple or list literal holding two or more dossier statuses."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = _status_aliases(tree)
    # A literal made only of statuses; a list of figure names that happens to hold a status
    # name ("open", "supplement_requested", counts…) is not a status set.
    return sorted(node.lineno for node in ast.walk(tree)
                  if isinstance(node, ast.Set | ast.Tuple | ast.List) and len(node.elts) >= 2
                  and all(_is_status(e, aliases) for e in node.elts))


def test_no_status_set_is_written_outside_the_workflow():
    found = {p.relative_to(PACKAGE).as_posix(): lines for p in _app_modules()
             if (lines := _status_sets(p))}
    assert found == {}


def test_the_status_set_check_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from district_portal.models import DossierStatus\n"
        "S = DossierStatus\n"
        "A = frozenset({S.DONE, S.RETURNED})\n"
        "B = (DossierStatus.ACCEPTED, DossierStatus.IN_PROGRESS)\n"
        "C = ['withdrawn', 'stopped']\n"
        "D = (S.SUBMITTED,)\n"
        "E = ('due_today', 'in_progress')\n", encoding="utf-8")
    assert _status_sets(sample) == [3, 4, 5]


# A Jinja tuple or list of quoted words: ('done', 'returned'), ["a", "b"].
JINJA_LIST = re.compile(r"[(\[]\s*(?:['\"][a-z_]+['\"]\s*,\s*)+['\"][a-z_]+['\"]\s*,?\s*[)\]]")


def _template_status_lists(text: str) -> list[str]:
    statuses = _status_values()
    return [m.group(0) for m in JINJA_LIST.finditer(text)
            if len(set(re.findall(r"[a-z_]+", m.group(0))) & statuses) >= 2]


def test_templates_get_status_questions_answered_by_the_view():
    found = {p.relative_to(TEMPLATES).as_posix(): lists
             for p in sorted(TEMPLATES.rglob("*.html"))
             if (lists := _template_status_lists(p.read_text(encoding="utf-8")))}
    assert found == {}
    assert _template_status_lists("{% if d.status in ('done', 'returned') %}") == [
        "('done', 'returned')"]
    assert _template_status_lists("{% if a.value in ('refuse', 'stop') %}") == []


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


# --- size: no module over 400 lines, no function over 60 (STYLE.md 13) -------------------------

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# Offenders allowed for a while, each with the reason. Empty now: never add one lightly, split
# the new code instead. An entry must leave the list as soon as it fits.
MODULE_ALLOW_LIST: set[str] = set()
FUNCTION_ALLOW_LIST: set[str] = set()


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_no_module_is_longer_than_400_lines():
    too_long = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES and _relative(path) not in MODULE_ALLOW_LIST:
            too_long[_relative(path)] = lines
    assert too_long == {}


def test_no_function_is_longer_than_60_lines():
    too_long = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            name = f"{_relative(path)}:{node.name}"
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_FUNCTION_LINES and name not in FUNCTION_ALLOW_LIST:
                too_long[name] = lines
    assert too_long == {}


MAX_TEMPLATE_LINE = 120


def test_no_template_line_is_longer_than_120_characters():
    """Templates stay readable: long lines break between attributes, inside {{ }} / {% %}, or
    with Jinja whitespace control where a newline would otherwise show as a space."""
    too_long = [f"{path.relative_to(TEMPLATES).as_posix()}:{number} ({len(line)})"
                for path in sorted(p for p in TEMPLATES.rglob("*") if p.is_file())
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if len(line) > MAX_TEMPLATE_LINE]
    assert too_long == []


def test_the_allow_lists_name_only_real_offenders():
    """An entry that was fixed must leave the list, so the rule holds for it from then on."""
    for entry in MODULE_ALLOW_LIST:
        lines = len((PACKAGE / entry).read_text(encoding="utf-8").splitlines())
        assert lines > MAX_MODULE_LINES, f"{entry} fits now: remove it from MODULE_ALLOW_LIST"
    for entry in FUNCTION_ALLOW_LIST:
        module, name = entry.split(":")
        tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
        sizes = [n.end_lineno - n.lineno + 1 for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef) and n.name == name]
        assert sizes and max(sizes) > MAX_FUNCTION_LINES, \
            f"{entry} fits now (or is gone): remove it from FUNCTION_ALLOW_LIST"


# --- models know nothing of Flask (DESIGN.md §2) ------------------------------------------------


def _module_path(name: str) -> Path | None:
    """The source file of a district_portal module (None for the package root or others)."""
    if not name.startswith("district_portal."):
        return None
    base = PACKAGE.parent.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _reachable_imports(start: list[Path]) -> dict[str, Path]:
    """Every module imported by `start`, following district_portal modules transitively."""
    seen: dict[str, Path] = {}
    todo = [(path, name) for path in start for name in _imports(path)]
    while todo:
        importer, name = todo.pop()
        if name in seen:
            continue
        seen[name] = importer
        path = _module_path(name)
        if path is not None:
            todo.extend((path, inner) for inner in _imports(path))
    return seen


def test_models_import_nothing_from_flask_directly_or_through_other_modules():
    reached = _reachable_imports(_modules("models"))
    flask_imports = {name: _relative(by) for name, by in reached.items()
                     if name.split(".")[0].startswith("flask")
                     or name.split(".")[0] in ("werkzeug", "jinja2")}
    assert flask_imports == {}
    assert "district_portal.db" not in reached


# --- the tests themselves tell the truth --------------------------------------------------------

TESTS = Path(__file__).resolve().parent
ENGINE_WORDS = ("dialect", "PG_URL", "postgres", "sqlite")


def test_no_test_returns_early_on_one_engine_instead_of_being_skipped():
    """A PostgreSQL-only test is marked `postgresql_only` (skipped with a reason on SQLite);
    an `if <engine>: return` would pass vacuously."""
    vacuous = []
    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            for branch in ast.walk(node):
                if isinstance(branch, ast.If) and \
                        any(w in ast.unparse(branch.test) for w in ENGINE_WORDS) and \
                        any(isinstance(n, ast.Return) for b in branch.body for n in ast.walk(b)):
                    vacuous.append(f"{path.name}:{node.name}")
    assert vacuous == []


def test_tests_import_shared_helpers_absolutely():
    """`from tests.helpers import ...`, so plain `pytest` and `make test` collect the same."""
    relative = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            local = [n for n in names if (TESTS / f"{n.split('.')[0]}.py").exists()]
            relative += [f"{path.name}: {n}" for n in local]
    assert relative == []
