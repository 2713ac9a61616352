"""Sanitising SVG icons: only the drawing is kept, never anything that runs or fetches.

Owns parsing icon markup with expat directly (a DOCTYPE with an internal subset,
entity declarations and undefined entities are rejected; an external DTD is never
fetched), and rebuilding it from an allow-list: drawing elements and their
presentation attributes stay; the XML prologue, DOCTYPE, comments, processing
instructions, ``<script>``, ``<foreignObject>``, ``on*`` event handlers, editor
metadata, external ``href``/``xlink:href`` and ``url(...)`` references are removed
(``#id`` references and ``data:`` raster images stay). Markup that needs no change is
returned unchanged. The result must be at most ``MAX_SVG_BYTES``. Must not read files.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

MAX_SVG_BYTES = 64 * 1024
MAX_INPUT_BYTES = 1024 * 1024

DRAWING_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "symbol", "use", "title", "desc", "switch",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "textPath", "image", "style",
        "linearGradient", "radialGradient", "stop", "pattern",
        "clipPath", "mask", "marker", "filter",
        "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite",
        "feConvolveMatrix", "feDiffuseLighting", "feDisplacementMap", "feDistantLight",
        "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR",
        "feGaussianBlur", "feMerge", "feMergeNode", "feMorphology", "feOffset",
        "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
    }
)  # fmt: skip
_KEPT_PREFIXES = frozenset({"", "xml", "xmlns", "xlink"})
_RASTER = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*", re.IGNORECASE)
_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
# Script URLs, CSS that runs or fetches without url(...), and CSS escapes (which can
# spell any of these, url included, past the checks).
_DANGEROUS = re.compile(
    r"javascript:|vbscript:|expression\s*\(|@import|-moz-binding|behavior\s*:"
    r"|image-set\s*\(|\bsrc\s*\(|\\",
    re.IGNORECASE,
)


class SvgRejected(ValueError):
    """The markup is not an SVG icon we can make safe; the message says why."""


@dataclass(slots=True)
class _Node:
    name: str
    attributes: list[tuple[str, str]]
    children: list[_Node | str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Sanitised:
    markup: str
    changed: bool

    @property
    def size(self) -> int:
        return len(self.markup.encode())


def sanitise(markup: str) -> Sanitised:
    """The icon reduced to its drawing; raises ``SvgRejected`` with the reason."""
    data = markup.encode()
    if len(data) > MAX_INPUT_BYTES:
        raise SvgRejected(f"SVG is {len(data):,} bytes; at most {MAX_INPUT_BYTES:,} are read")
    builder = _Builder()
    try:
        builder.parse(data)
    except xml.parsers.expat.ExpatError as exc:
        raise SvgRejected(f"SVG is not well-formed XML ({exc})") from exc
    root = builder.root
    if root is None or _local(root.name) != "svg":
        raise SvgRejected(f"root element must be <svg>, not <{root.name if root else ''}>")
    changed = builder.changed or not markup.lstrip().startswith("<svg")
    changed = _clean(root) or changed
    result = Sanitised(_serialise(root) if changed else markup, changed)
    if result.size > MAX_SVG_BYTES:
        raise SvgRejected(
            f"SVG is {result.size:,} bytes after sanitising; the limit is {MAX_SVG_BYTES:,}"
        )
    return result


class _Builder:
    """Builds the element tree from expat events, refusing DTD subsets and entities."""

    def __init__(self) -> None:
        self.root: _Node | None = None
        self.changed = False
        self._stack: list[_Node] = []

    def parse(self, data: bytes) -> None:
        parser = xml.parsers.expat.ParserCreate()
        parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.ordered_attributes = True
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._entity
        parser.ExternalEntityRefHandler = self._external
        parser.CommentHandler = self._dropped
        parser.ProcessingInstructionHandler = self._dropped_pi
        parser.XmlDeclHandler = self._dropped_declaration
        parser.Parse(data, True)

    def _start(self, name: str, attributes: list[str]) -> None:
        pairs = list(zip(attributes[::2], attributes[1::2], strict=True))
        node = _Node(name, pairs)
        if self._stack:
            self._stack[-1].children.append(node)
        elif self.root is None:
            self.root = node
        self._stack.append(node)

    def _end(self, name: str) -> None:
        self._stack.pop()

    def _text(self, text: str) -> None:
        if self._stack:
            self._stack[-1].children.append(text)

    def _doctype(self, name: str, system: str | None, public: str | None, subset: int) -> None:
        if subset:
            raise SvgRejected("SVG must not declare a DTD subset or entities")
        self.changed = True

    def _entity(self, *_: object) -> None:
        raise SvgRejected("SVG must not declare entities")

    def _external(self, *_: object) -> int:
        raise SvgRejected("SVG must not reference external entities")

    def _dropped(self, _text: str) -> None:
        self.changed = True

    def _dropped_pi(self, _target: str, _data: str) -> None:
        self.changed = True

    def _dropped_declaration(self, *_: object) -> None:
        self.changed = True


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _prefix(name: str) -> str:
    return name.rpartition(":")[0]


def _internal_reference(value: str) -> bool:
    return value.strip().startswith("#")


def _safe_value(name: str, value: str, element: str) -> bool:
    local = _local(name)
    if local == "href":
        if element == "image":
            return _internal_reference(value) or bool(_RASTER.fullmatch(value.strip()))
        return _internal_reference(value)
    if _DANGEROUS.search(value):
        return False
    return all(_internal_reference(target) for _, target in _URL.findall(value))


def _keep_attribute(name: str, value: str, element: str) -> bool:
    prefix = _prefix(name)
    if name == "xmlns" or prefix == "xmlns":
        return True
    if prefix not in _KEPT_PREFIXES or _local(name).lower().startswith("on"):
        return False
    return _safe_value(name, value, element)


def _clean(node: _Node) -> bool:
    """Drop what is not drawing from the node's subtree; True if anything was dropped."""
    element = _local(node.name)
    kept = [(n, v) for n, v in node.attributes if _keep_attribute(n, v, element)]
    changed = len(kept) != len(node.attributes)
    node.attributes = kept
    children: list[_Node | str] = []
    for child in node.children:
        if isinstance(child, str):
            children.append(child)
            continue
        name = _local(child.name)
        if name not in DRAWING_ELEMENTS or (name == "style" and _unsafe_style(child)):
            changed = True
            continue
        changed = _clean(child) or changed
        children.append(child)
    node.children = children
    return changed


def _unsafe_style(node: _Node) -> bool:
    text = "".join(c for c in node.children if isinstance(c, str))
    if any(not isinstance(c, str) for c in node.children) or _DANGEROUS.search(text):
        return True
    return not all(_internal_reference(target) for _, target in _URL.findall(text))


def _serialise(node: _Node) -> str:
    attributes = "".join(f" {name}={quoteattr(value)}" for name, value in node.attributes)
    if not node.children:
        return f"<{node.name}{attributes}/>"
    inner = "".join(
        escape(child) if isinstance(child, str) else _serialise(child) for child in node.children
    )
    return f"<{node.name}{attributes}>{inner}</{node.name}>"
