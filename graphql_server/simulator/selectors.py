"""Label and field selectors, parsed the way the apiserver parses them.

Owns parsing of ``labelSelector`` and ``fieldSelector`` query strings into matchers,
the per-kind set of selectable fields and the query text of a ``LabelSelector``
object. A malformed selector raises :class:`SelectorError`; callers turn it into a 400
``BadRequest`` Status.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SPECIAL = " \t,()=!<>"

# Fields the apiserver lets you select on, beyond metadata.name and metadata.namespace.
SELECTABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "Pod": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "Secret": ("type",),
    "Namespace": ("status.phase",),
    "Node": ("spec.unschedulable",),
    "ReplicaSet": ("status.replicas",),
    "Job": ("status.successful",),
    "Event": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
}


class SelectorError(ValueError):
    """The selector string does not parse."""


Matcher = Callable[[Mapping[str, Any]], bool]


def _check_key(key: str) -> None:
    prefix, _, name = key.rpartition("/")
    if not name or len(name) > 63 or not _NAME.match(name):
        raise SelectorError(f"invalid label key {key!r}")
    if "/" in key and (not prefix or len(prefix) > 253 or not _PREFIX.match(prefix)):
        raise SelectorError(f"invalid label key prefix {key!r}")


def _check_value(value: str) -> None:
    if len(value) > 63 or not _NAME.match(value):
        raise SelectorError(f"invalid label value {value!r}")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in " \t":
            i += 1
        elif text.startswith(("==", "!="), i):
            tokens.append(text[i : i + 2])
            i += 2
        elif char in ",()=!<>":
            tokens.append(char)
            i += 1
        else:
            start = i
            while i < len(text) and text[i] not in _SPECIAL:
                i += 1
            tokens.append(text[start:i])
    return tokens


class LabelSelector:
    """A parsed label selector; ``matches(labels)`` tests a label map."""

    __slots__ = ("requirements", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.requirements: list[tuple[str, str, frozenset[str]]] = _parse_labels(text)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: Mapping[str, Any] | None) -> bool:
        labels = labels or {}
        for key, op, values in self.requirements:
            present = key in labels
            if op == "exists":
                if not present:
                    return False
            elif op == "!exists":
                if present:
                    return False
            elif op == "in":
                if not present or labels[key] not in values:
                    return False
            elif op == "notin":
                if present and labels[key] in values:
                    return False
            elif not _compare(op, labels.get(key), values):
                return False
        return True


def _compare(op: str, actual: Any, values: frozenset[str]) -> bool:
    if actual is None:
        return False
    try:
        number = int(actual)
        bound = int(next(iter(values)))
    except ValueError:
        return False
    return number > bound if op == "gt" else number < bound


def _parse_labels(text: str) -> list[tuple[str, str, frozenset[str]]]:
    tokens = _tokens(text)
    requirements: list[tuple[str, str, frozenset[str]]] = []
    pos = 0

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise SelectorError(f"unexpected end of label selector {text!r}")
        token = tokens[pos]
        pos += 1
        return token

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    while pos < len(tokens):
        token = take()
        if token == "!":
            key = take()
            _check_key(key)
            requirements.append((key, "!exists", frozenset()))
        else:
            if token in _SPECIAL or token in ("==", "!="):
                raise SelectorError(f"unexpected {token!r} in label selector {text!r}")
            key = token
            _check_key(key)
            op = peek()
            if op is None or op == ",":
                requirements.append((key, "exists", frozenset()))
            elif op in ("=", "==", "!="):
                take()
                nxt = peek()
                value = "" if nxt is None or nxt == "," else take()
                _check_value(value)
                requirements.append((key, "notin" if op == "!=" else "in", frozenset((value,))))
            elif op in ("in", "notin"):
                take()
                requirements.append((key, op, _parse_set(take, peek, text)))
            elif op in (">", "<"):
                take()
                bound = take()
                if not bound.lstrip("-").isdigit():
                    raise SelectorError(f"{bound!r} is not an integer in {text!r}")
                requirements.append((key, "gt" if op == ">" else "lt", frozenset((bound,))))
            else:
                raise SelectorError(f"unexpected {op!r} in label selector {text!r}")
        nxt = peek()
        if nxt is not None:
            if nxt != ",":
                raise SelectorError(f"expected ',' in label selector {text!r}")
            take()
            if peek() is None:
                raise SelectorError(f"trailing ',' in label selector {text!r}")
    return requirements


def _parse_set(
    take: Callable[[], str], peek: Callable[[], str | None], text: str
) -> frozenset[str]:
    if take() != "(":
        raise SelectorError(f"expected '(' in label selector {text!r}")
    values: set[str] = set()
    while True:
        token = take()
        if token == ")":
            break
        if token == ",":
            continue
        if token in _SPECIAL:
            raise SelectorError(f"unexpected {token!r} in label selector {text!r}")
        _check_value(token)
        values.add(token)
        if peek() not in (",", ")"):
            raise SelectorError(f"expected ',' or ')' in label selector {text!r}")
    if not values:
        raise SelectorError(f"empty value set in label selector {text!r}")
    return frozenset(values)


_FIELD_TERM = re.compile(r"^\s*([A-Za-z0-9_.]+)\s*(!=|==|=)(.*)$", re.DOTALL)


def _split_raw(text: str) -> list[str]:
    """Split on commas that are not escaped with a backslash, keeping the escapes."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    out: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    if escaped:
        raise SelectorError(f"dangling escape in field selector value {text!r}")
    return "".join(out)


def _field_value(obj: Mapping[str, Any], path: str) -> str:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


class FieldSelector:
    """A parsed field selector over ``metadata.name``, ``metadata.namespace`` and kind fields."""

    __slots__ = ("requirements", "text")

    def __init__(self, text: str, kind: str = "") -> None:
        self.text = text
        self.requirements: list[tuple[str, bool, str]] = []
        allowed = {"metadata.name", "metadata.namespace", *SELECTABLE_FIELDS.get(kind, ())}
        if not text.strip():
            return
        for part in _split_raw(text):
            term = _FIELD_TERM.match(part)
            if term is None:
                raise SelectorError(f"invalid field selector {part!r}")
            field, op, value = term.group(1), term.group(2), term.group(3).strip()
            if field not in allowed:
                raise SelectorError(f'field label not supported: "{field}"')
            self.requirements.append((field, op != "!=", _unescape(value)))

    @property
    def empty(self) -> bool:
        return not self.requirements

    @property
    def exact_name(self) -> str | None:
        """The single name this selector pins, if it pins one."""
        for field, equal, value in self.requirements:
            if field == "metadata.name" and equal:
                return value
        return None

    def matches(self, obj: Mapping[str, Any]) -> bool:
        for field, equal, value in self.requirements:
            if (_field_value(obj, field) == value) != equal:
                return False
        return True

    def matches_entry(self, entry: Any) -> bool:
        """Match a stored entry, decoding it only for fields beyond name and namespace."""
        obj: Mapping[str, Any] | None = None
        for field, equal, value in self.requirements:
            if field == "metadata.name":
                actual = entry.name
            elif field == "metadata.namespace":
                actual = entry.namespace
            else:
                if obj is None:
                    obj = entry.obj
                actual = _field_value(obj, field)
            if (actual == value) != equal:
                return False
        return True


def parse_label_selector(text: str | None) -> LabelSelector | None:
    """A matcher, or None for an empty selector."""
    if not text or not text.strip():
        return None
    selector = LabelSelector(text)
    return None if selector.empty else selector


def parse_field_selector(text: str | None, kind: str = "") -> FieldSelector | None:
    if not text or not text.strip():
        return None
    selector = FieldSelector(text, kind)
    return None if selector.empty else selector


def selector_text(selector: Any) -> str:
    """A ``LabelSelector`` object (``matchLabels``, ``matchExpressions``) as query text."""
    if isinstance(selector, str):
        return selector
    if not isinstance(selector, dict):
        return ""
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        values = ",".join(expr.get("values") or [])
        operator = expr.get("operator")
        if operator == "In":
            terms.append(f"{expr['key']} in ({values})")
        elif operator == "NotIn":
            terms.append(f"{expr['key']} notin ({values})")
        elif operator == "Exists":
            terms.append(str(expr["key"]))
        elif operator == "DoesNotExist":
            terms.append(f"!{expr['key']}")
    return ",".join(terms)
