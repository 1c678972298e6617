"""The sandbox result templates run in: Jinja's SandboxedEnvironment, stricter, with limits.

A result template comes from the catalogue, so it is untrusted code. Besides the sandbox's
attribute rules it gets:
- no blow-up in one step: `*` and `**` on long sequences or big exponents, `%` and
  str.format with huge widths, str methods and the filters center/indent with huge widths,
  and a replace that would grow past the output limit are refused;
- a loop limit: each `for` loop may take at most MAX_LOOP items and one render at most
  MAX_ITERATIONS in all (the loops' iterables are wrapped when the template is parsed);
- an output limit: the body is produced piece by piece and stopped past MAX_OUTPUT
  characters, so a runaway template never holds hundreds of megabytes;
- a time limit: MAX_SECONDS of wall time, checked at every loop step and every piece.
Past any limit it raises LimitExceeded (a SecurityError) and nothing is kept.
"""

from __future__ import annotations

import operator
import re
import threading
import time
from collections.abc import Iterable, Iterator

from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

MAX_OUTPUT = 200_000  # characters of rendered result body
MAX_SEQUENCE = 10_000  # items or characters a template may build with * or **
MAX_LOOP = 1_000  # items one for-loop may iterate over
MAX_ITERATIONS = 20_000  # loop steps of one render, all loops together
MAX_SECONDS = 2.0  # wall time of one render
MAX_WIDTH = 1_000  # a width given to center, indent, % or str.format

_WIDE_FORMAT = re.compile(r"\{[^{}]*:[^{}]*\d{4,}")  # "{:>99999}"
_NESTED_FORMAT = re.compile(r"\{[^{}]*:[^{}]*\{")  # "{:{width}}"
_WIDE_PERCENT = re.compile(r"%[-+ #0]*(\d{4,}|\*)")  # "%99999s", "%*s"
_GUARD = "_portal_loop_guard"


class LimitExceeded(SecurityError):
    """The template went past a loop, output or time limit."""


class _Budget(threading.local):
    """The current render's limits; each thread renders its own template."""

    deadline = float("inf")
    steps = 0


_budget = _Budget()


def _check_time() -> None:
    if time.monotonic() > _budget.deadline:
        raise LimitExceeded("the template took too long")


def _guarded(iterable: Iterable) -> Iterator:
    """The items of one loop, counted against the loop's and the render's limits."""
    for count, item in enumerate(iterable, 1):
        _budget.steps += 1
        if count > MAX_LOOP or _budget.steps > MAX_ITERATIONS:
            raise LimitExceeded("a loop is too long")
        _check_time()
        yield item


def _safe_range(*args) -> range:
    items = range(*args)
    if len(items) > MAX_LOOP:
        raise LimitExceeded("range too long")
    return items


def _narrow(name: str):
    """A built-in filter whose width argument is capped."""
    from jinja2.filters import FILTERS

    original = FILTERS[name]

    def narrowed(value, width=80 if name == "center" else 4, *args, **kwargs):
        if isinstance(width, int) and width > MAX_WIDTH or \
                isinstance(width, str) and len(width) > MAX_WIDTH:
            raise LimitExceeded(f"{name} width too large")
        return original(value, width, *args, **kwargs)

    return narrowed


_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


def _check_method(obj, args) -> None:
    """Refuse a str method call that would build a huge string in one step."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in _WIDTH_METHODS and any(isinstance(a, int) and a > MAX_WIDTH for a in args):
        raise LimitExceeded(f"{name} width too large")
    if name == "replace" and len(args) >= 2:
        _check_replace(owner, *args[:2])


def _check_replace(text, old, new) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        grown = (text.count(old) if old else len(text) + 1) * len(new)
        if len(text) + grown > MAX_OUTPUT:
            raise LimitExceeded("replace result too long")


def _safe_replace(eval_ctx, value, old, new, count=None):
    from jinja2.filters import do_replace

    _check_replace(str(value), str(old), str(new))
    return do_replace(eval_ctx, value, old, new, count)


class ResultSandbox(SandboxedEnvironment):
    """The sandbox, stricter: unsafe attributes raise at once, nothing blows up in one step,
    and every loop is counted."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.globals["range"] = _safe_range
        self.filters[_GUARD] = _guarded
        for name in ("center", "indent"):
            self.filters[name] = _narrow(name)
        from jinja2.utils import pass_eval_context

        self.filters["replace"] = pass_eval_context(_safe_replace)

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, _GUARD, [], [], None, None,
                                     lineno=loop.lineno)
        return tree

    def unsafe_undefined(self, obj, attribute):
        raise SecurityError(f"access to attribute {attribute!r} is not allowed")

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's signature)
        _check_method(__obj, args)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value):
        """str.format / format_map, refused when a width is huge or given as an argument."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None and (_WIDE_FORMAT.search(value.__self__)
                                    or _NESTED_FORMAT.search(value.__self__)):
            def refuse(*args, **kwargs):
                raise LimitExceeded("format width too large")
            return refuse
        return wrapped

    def call_binop(self, context, op, left, right):
        if op == "%":
            if isinstance(left, str) and _WIDE_PERCENT.search(left):
                raise LimitExceeded("format width too large")
            return operator.mod(left, right)
        if op == "**":
            if not all(isinstance(v, int | float) for v in (left, right)) or abs(right) > 100:
                raise SecurityError("exponent too large")
            return operator.pow(left, right)
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(count, int) \
                    and len(seq) * count > MAX_SEQUENCE:
                raise SecurityError("sequence too long")
        return operator.mul(left, right)


def render_limited(template, context: dict) -> str:
    """Render `template` piece by piece within the time, loop and output limits."""
    _budget.deadline = time.monotonic() + MAX_SECONDS
    _budget.steps = 0
    parts: list[str] = []
    size = 0
    try:
        for piece in template.generate(context):
            size += len(piece)
            if size > MAX_OUTPUT:
                raise LimitExceeded("the output is too long")
            _check_time()
            parts.append(piece)
    finally:
        _budget.deadline = float("inf")
    return "".join(parts)
