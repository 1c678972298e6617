"""The part of the stylesheet a page uses, for the first visits that get it inline.

On 2G a first response fits the bare page's round trips only while its headers and
compressed HTML stay under one congestion window (~4.3 KB, docs/performance.md); the whole
stylesheet inline is ~1.9 KB of it. A page gets only the rules whose selectors can match its
own markup, or markup that static/form.js adds (the `js` class on <html>, the upload status):
a selector is kept unless it names a class or an element that appears nowhere in the page.
That test is conservative (`:focus`, attribute selectors and combinators are not evaluated,
so a kept rule may not apply; a dropped one never could). The full file still arrives with
the second page's prefetch and is linked from then on.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)")
_CLASS_ATTR = re.compile(r"""\bclass=(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""")
_SELECTOR_CLASS = re.compile(r"\.([\w-]+)")
_SELECTOR_TAG = re.compile(r"(?:^|[\s>+~(])([a-zA-Z][a-zA-Z0-9-]*)")
_PSEUDO = re.compile(r"::?[\w-]+(?:\([^)]*\))?|\[[^\]]*\]")
_SELECTOR_ATTR = re.compile(r"""\[([\w-]+)=["']?([^"'\]]*)["']?\]""")
_JS_CLASS = re.compile(r"""(?:className\s*\+?=|classList\.\w+\()\s*[^;]*""")
_QUOTED = re.compile(r"""["']([^"']*)["']""")
_CREATED = re.compile(r"""createElement\(\s*["']([a-zA-Z0-9-]+)["']""")
ALWAYS_TAGS = frozenset({"html", "body"})


def parse(css: str) -> list:
    """Top-level items: (selectors, body) for a rule, (prelude, [items]) for an @-block
    holding rules (@media), or (prelude, body-text) for any other @-rule (@page)."""
    css = _COMMENT.sub("", css)
    items, _ = _parse(css, 0)
    return items


def _parse(css: str, pos: int) -> tuple[list, int]:
    items: list = []
    while True:
        start = pos
        brace = css.find("{", pos)
        close = css.find("}", pos)
        if brace < 0 or (0 <= close < brace):
            return items, (close + 1 if close >= 0 else len(css))
        prelude = css[start:brace].strip()
        if prelude.startswith("@media") or prelude.startswith("@supports"):
            inner, pos = _parse(css, brace + 1)
            items.append((prelude, inner))
            continue
        end = css.index("}", brace)
        items.append((prelude, css[brace + 1:end].strip()))
        pos = end + 1


def script_names(source: str) -> tuple[frozenset, frozenset]:
    """The classes a script sets and the elements it creates."""
    classes: set[str] = set()
    for match in _JS_CLASS.finditer(source):
        for quoted in _QUOTED.findall(match.group(0)):
            classes.update(quoted.split())
    return frozenset(classes), frozenset(t.lower() for t in _CREATED.findall(source))


def page_names(html: str, attributes: frozenset = frozenset()) -> tuple[frozenset, frozenset]:
    """The classes and element names a page's markup uses, and "name=value" for each of
    `attributes` it sets (the attributes that the stylesheet selects by value)."""
    classes: set[str] = set()
    for match in _CLASS_ATTR.finditer(html):
        classes.update((match.group(1) or match.group(2) or match.group(3) or "").split())
    names = {t.lower() for t in _TAG.findall(html)}
    for name in attributes:
        pattern = rf"""\b{re.escape(name)}=(?:"([^"]*)"|'([^']*)'|([^\s>"']+))"""
        names.update(f"{name}={a or b or c}" for a, b, c in re.findall(pattern, html))
    if any("type=" not in tag for tag in re.findall(r"<input\b[^>]*>", html, re.I)):
        names.add("type=text")  # an <input> without a type is a text box
    return frozenset(classes), frozenset(names)


def _may_match(selector: str, classes: frozenset, tags: frozenset) -> bool:
    """`tags`: the page's element names and its "attribute=value" pairs (page_names)."""
    if any(c not in classes for c in _SELECTOR_CLASS.findall(selector)):
        return False
    if any(f"{name}={value}" not in tags for name, value in _SELECTOR_ATTR.findall(selector)):
        return False
    bare = _PSEUDO.sub("", selector)
    bare = _SELECTOR_CLASS.sub("", bare)
    bare = re.sub(r"#[\w-]+", "", bare)
    return all(t.lower() in tags for t in _SELECTOR_TAG.findall(bare))


def _render(items: list, classes: frozenset, tags: frozenset) -> str:
    out = []
    for prelude, body in items:
        if isinstance(body, list):
            inner = _render(body, classes, tags)
            if inner:
                out.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@"):
            out.append(f"{prelude}{{{body}}}")
        else:
            kept = [s for s in (s.strip() for s in prelude.split(",")) if s
                    and _may_match(s, classes, tags)]
            if kept:
                out.append(f"{','.join(kept)}{{{body}}}")
    return "".join(out)


class Critical:
    """The stylesheet's rules, cut to a page on demand (memoised by the page's names)."""

    def __init__(self, css: str, scripts: dict[str, str]) -> None:
        """`scripts`: file stem ("form") → source, of the scripts a page may include."""
        self.items = parse(css)
        self.attributes = frozenset(name for name, _ in _SELECTOR_ATTR.findall(css))
        self.scripts = {stem: script_names(source) for stem, source in scripts.items()}
        self._for = lru_cache(maxsize=512)(self._compute)

    def for_page(self, html: str) -> tuple[str, str]:
        """The rules the page may use, and their CSP source ('sha256-…')."""
        classes, tags = page_names(html, self.attributes)
        tags |= ALWAYS_TAGS
        for stem, (more_classes, more_tags) in self.scripts.items():
            if f"/{stem}." in html:  # the page includes it (by its content-hashed URL)
                classes |= more_classes
                tags |= more_tags
        return self._for(classes, tags)

    def _compute(self, classes: frozenset, tags: frozenset) -> tuple[str, str]:
        css = _render(self.items, classes, tags)
        digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
        return css, f"'sha256-{digest}'"
