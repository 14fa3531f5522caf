"""Markdown written by staff, turned into HTML that is safe to show to anyone."""

from __future__ import annotations

import nh3
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

# Raw HTML in the Markdown is shown as text, never passed through.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
    "blockquote", "ul", "ol", "li", "a", "code", "pre", "table", "thead", "tbody", "tr", "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str | None) -> Markup:
    """Markdown to HTML, then cleaned with an allow-list: no scripts, event handlers,
    styles, frames or javascript:/data: links, whatever the text holds."""
    if not text:
        return Markup("")
    html = _markdown.render(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    # A table wider than a phone scrolls inside its own box, which keys can reach; the
    # cleaned text holds no attributes on <table>, so only Markdown's tables match.
    label = escape(_("Table"))
    box = f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">'
    clean = clean.replace("<table>", box + "<table>").replace("</table>", "</table></div>")
    return Markup(clean)  # noqa: S704  # nosec B704  # cleaned by nh3 just above
