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
    return sorted(node.lineno for node in ast.walk(tree)
                  if isinstance(node, ast.Set | ast.Tuple | ast.List)
                  and sum(_is_status(e, aliases) for e in node.elts) >= 2)


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
