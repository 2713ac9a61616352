"""Icon glyphs: small SVG badges drawn from a shape, a colour and a short label.

Owns the visual language of registry icons (32x32 viewBox, a rounded geometric
shape in the component's colour with a one-to-three letter abbreviation). Used for
components generated at run time and as the fallback when an imported definition has
no icon. Must not read files; ``svg`` makes given markup safe to serve.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

SVG_NS = "http://www.w3.org/2000/svg"

# Outlines inside a 32x32 box, drawn with a thick round-joined stroke so corners soften.
SHAPES: dict[str, str] = {
    "hexagon": '<polygon points="16,3 27.3,9.5 27.3,22.5 16,29 4.7,22.5 4.7,9.5"{attrs}/>',
    "circle": '<circle cx="16" cy="16" r="12.5"{attrs}/>',
    "square": '<rect x="4" y="4" width="24" height="24" rx="5"{attrs}/>',
    "shield": '<path d="M16 3 L27 7 V15 C27 22 22 27 16 29 C10 27 5 22 5 15 V7 Z"{attrs}/>',
    "octagon": '<polygon points="11,3.5 21,3.5 28.5,11 28.5,21 21,28.5 11,28.5 3.5,21 3.5,11"'
    "{attrs}/>",
    "diamond": '<polygon points="16,2.5 29.5,16 16,29.5 2.5,16"{attrs}/>',
}

NEUTRAL_PRIMARY = "#607D8B"
NEUTRAL_SECONDARY = "#CFD8DC"

_CAPITALS = re.compile(r"[A-Z][a-z0-9]*")
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def abbreviate(kind: str, limit: int = 3) -> str:
    """``HorizontalPodAutoscaler`` -> ``HPA``; a one-word kind keeps two letters: ``Po``."""
    words = _CAPITALS.findall(kind)
    if len(words) >= 2:
        return "".join(word[0] for word in words)[:limit]
    letters = "".join(ch for ch in kind if ch.isalnum())
    return (letters[:1].upper() + letters[1:2].lower()) or "?"


def is_hex_color(value: str) -> bool:
    return bool(_HEX.match(value))


def _luminance(color: str) -> float:
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    red, green, blue = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _label(text: str, fill: str) -> str:
    size = {1: 15, 2: 12, 3: 10}.get(len(text), 9)
    return (
        f'<text x="16" y="16" dy="0.36em" text-anchor="middle" '
        f'font-family="Helvetica, Arial, sans-serif" font-weight="700" font-size="{size}" '
        f'fill="{fill}">{escape(text)}</text>'
    )


def _svg(body: str, title: str) -> str:
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 32 32" width="32" height="32" role="img">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def glyph(label: str, primary: str, secondary: str, shape: str = "hexagon", title: str = "") -> str:
    """The coloured variant: filled shape, secondary-colour rim, readable label."""
    outline = SHAPES.get(shape, SHAPES["hexagon"])
    attrs = f' fill="{primary}" stroke="{secondary}" stroke-width="2" stroke-linejoin="round"'
    text_fill = "#1B2631" if _luminance(primary) > 0.62 else "#FFFFFF"
    return _svg(outline.format(attrs=attrs) + _label(label, text_fill), title or label)


def glyph_white(label: str, shape: str = "hexagon", title: str = "") -> str:
    """The white variant for dark or coloured backgrounds: white outline and label."""
    outline = SHAPES.get(shape, SHAPES["hexagon"])
    attrs = ' fill="none" stroke="#FFFFFF" stroke-width="2.2" stroke-linejoin="round"'
    return _svg(outline.format(attrs=attrs) + _label(label, "#FFFFFF"), title or label)
