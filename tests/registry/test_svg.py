"""Sanitising icons: what runs or fetches goes, the drawing stays."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphql_server.registry.svg import MAX_SVG_BYTES, SvgRejected, sanitise

PLAIN = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'viewBox="0 0 32 32" width="32" height="32">'
    '<defs><linearGradient id="g"><stop offset="0" stop-color="#326CE5"/></linearGradient>'
    '<path id="p" d="M4 4h24v24H4z"/></defs>'
    '<use xlink:href="#p" fill="url(#g)"/><circle cx="16" cy="16" r="6" fill="#fff"/>'
    '<text x="16" y="16">A &amp; B</text></svg>'
)

HOSTILE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    "<!-- exported by an editor -->\n"
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
    'viewBox="0 0 32 32" width="32" height="32" onload="alert(1)" inkscape:version="1.3">'
    '<script type="text/javascript">alert(document.cookie)</script>'
    "<metadata><rdf>licence</rdf></metadata>"
    '<defs><linearGradient id="g"><stop offset="0" stop-color="#326CE5"/></linearGradient>'
    '<path id="p" d="M4 4h24v24H4z" onclick="steal()"/></defs>'
    '<use xlink:href="#p" fill="url(#g)"/>'
    '<use xlink:href="https://evil.example/sprite.svg#x"/>'
    '<a href="javascript:alert(1)"><circle cx="16" cy="16" r="6" fill="#fff"/></a>'
    '<circle cx="16" cy="16" r="6" fill="#fff" style="fill:url(https://evil.example/t)"/>'
    '<foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">'
    "x</div></foreignObject>"
    '<image href="https://evil.example/track.png" width="1" height="1"/>'
    '<style>@import url("https://evil.example/x.css");</style>'
    '<text x="16" y="16">A &amp; B</text></svg>'
)


def canonical(markup: str) -> str:
    return ET.canonicalize(markup, strip_text=True)


def test_a_plain_svg_is_returned_unchanged() -> None:
    result = sanitise(PLAIN)
    assert result.changed is False
    assert result.markup == PLAIN
    assert result.size == len(PLAIN.encode())


def test_script_handlers_and_external_references_are_removed() -> None:
    result = sanitise(HOSTILE)
    assert result.changed
    cleaned = result.markup
    for gone in (
        "<?xml",
        "DOCTYPE",
        "<!--",
        "script",
        "alert",
        "onload",
        "onclick",
        "evil.example",
        "foreignObject",
        "metadata",
        "inkscape:version",
        "javascript:",
        "@import",
    ):
        assert gone not in cleaned, gone
    root = ET.fromstring(cleaned)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert 'xlink:href="#p"' in cleaned, "internal references stay"
    assert 'fill="url(#g)"' in cleaned


def test_an_svg_with_script_and_extras_comes_out_as_the_plain_one() -> None:
    injected = '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<!-- editor -->' + PLAIN.replace(
        'width="32" height="32">', 'width="32" height="32" onload="go()">'
    ).replace("<defs>", "<script>go()</script><metadata>licence</metadata><defs>").replace(
        '<path id="p"', '<path onclick="steal()" id="p"'
    ).replace(
        "<text",
        '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'
        '<style>@import url("https://evil.example/x.css");</style><text',
    )
    result = sanitise(injected)
    assert result.changed
    assert canonical(result.markup) == canonical(PLAIN)
    assert sanitise(result.markup).markup == result.markup, "sanitising is idempotent"


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        (
            '<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg>&b;</svg>',
            "DTD subset",
        ),
        (
            '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
            "DTD subset",
        ),
        ("<svg>&nbsp;</svg>", "not well-formed"),
        ("<svg><path></svg>", "not well-formed"),
        ("<html><svg/></html>", "root element must be <svg>"),
        ("", "not well-formed"),
    ],
)
def test_unsafe_or_broken_markup_is_rejected(markup: str, reason: str) -> None:
    with pytest.raises(SvgRejected, match=reason):
        sanitise(markup)


def test_the_size_limit_is_after_sanitising_and_reports_sizes() -> None:
    path = '<path d="M0 0h1v1H0z"/>'
    body = path * (MAX_SVG_BYTES // len(path) + 10)
    with pytest.raises(SvgRejected, match=r"bytes after sanitising; the limit is 65,536"):
        sanitise(f'<svg xmlns="http://www.w3.org/2000/svg">{body}</svg>')
    comment = "<!--" + "x" * MAX_SVG_BYTES + "-->"
    small = sanitise(f'<svg xmlns="http://www.w3.org/2000/svg">{comment}{path}</svg>')
    assert small.size < 200, "what is stripped does not count"


def test_raster_data_images_stay_other_data_urls_go() -> None:
    png = "data:image/png;base64,iVBORw0KGgo="
    markup = (
        '<svg xmlns="http://www.w3.org/2000/svg">'
        f'<image href="{png}" width="4" height="4"/>'
        '<image href="data:text/html;base64,PHNjcmlwdD4=" width="4" height="4"/>'
        '<use href="data:image/svg+xml;base64,PHN2Zy8+"/></svg>'
    )
    cleaned = sanitise(markup).markup
    assert cleaned.count(png) == 1
    assert "text/html" not in cleaned
    assert "svg+xml" not in cleaned


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=300)
    | st.builds(
        lambda inner: f'<svg xmlns="http://www.w3.org/2000/svg">{inner}</svg>',
        st.text(alphabet="<>/=\"'&;#:ahrefonloadscript x-{}()", max_size=120),
    )
)
def test_any_text_is_sanitised_or_rejected_never_anything_else(markup: str) -> None:
    try:
        result = sanitise(markup)
    except SvgRejected:
        return  # rejected, with a reason: never served
    root = ET.fromstring(result.markup)
    for element in root.iter():
        assert str(element.tag).rpartition("}")[2].lower() not in {"script", "foreignobject"}
        for name, value in element.attrib.items():
            assert not name.rpartition("}")[2].lower().startswith("on")
            assert "javascript:" not in value.lower()


@pytest.mark.parametrize(
    "style",
    [
        "fill:\\75rl(https://evil.example/x)",
        "background:image-set('https://evil.example/x.png' 1x)",
        "behavior:url(#x)",
        "fill:url( 'https://evil.example/x' )",
    ],
)
def test_css_that_fetches_in_disguise_is_removed(style: str) -> None:
    markup = (
        '<svg xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="4" height="4" style="{style}"/><style>rect{{{style}}}</style></svg>'
    )
    cleaned = sanitise(markup).markup
    assert cleaned == '<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4"/></svg>'
