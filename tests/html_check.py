"""What an HTML validator would refuse in a page, found with the standard library.

No validator is installed everywhere the suite runs, so this checks the faults
that have reached the portal's pages: the same id twice, a reference (label,
aria-labelledby, aria-describedby, #link) to an id that is not there, an
element closed in the wrong order or never closed, a block inside a paragraph,
a form inside a form, something clickable inside a link or a button, and an
attribute given twice.
"""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
# Elements whose end tag may be left out; a new sibling or the parent's end closes them.
OPTIONAL_END = {"p", "li", "dt", "dd", "option", "tr", "td", "th", "thead", "tbody",
                "tfoot", "colgroup", "caption", "optgroup", "rt", "rp"}
# A start tag of any of these closes an open <p> (and is an error when a </p> follows).
CLOSES_P = {"address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset",
            "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
            "header", "hr", "main", "nav", "ol", "p", "pre", "section", "table", "ul"}
INTERACTIVE = {"a", "button", "details", "embed", "iframe", "label", "select", "textarea"}
REFERENCES = ("for", "aria-labelledby", "aria-describedby", "aria-controls", "list")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: dict[str, int] = {}
        self.references: list[tuple[str, str, str]] = []
        self.problems: list[str] = []

    def _where(self) -> str:
        line, _column = self.getpos()
        return f"line {line}"

    def handle_starttag(self, tag, attrs):
        names = [name for name, _value in attrs]
        for name in {n for n in names if names.count(n) > 1}:
            self.problems.append(f"{self._where()}: <{tag}> has the attribute {name} twice")
        values = dict(attrs)
        if tag in CLOSES_P and "p" in self.stack:
            # The browser closes the paragraph here; a later </p> is then an error.
            self.problems.append(f"{self._where()}: <{tag}> inside <p>")
        if tag == "form" and "form" in self.stack:
            self.problems.append(f"{self._where()}: a form inside a form")
        if (tag in INTERACTIVE or (tag == "input" and values.get("type") != "hidden")) and (
                {"a", "button"} & set(self.stack)):
            self.problems.append(f"{self._where()}: <{tag}> inside a link or a button")
        if values.get("id") is not None:
            ident = values["id"]
            if not ident or any(c.isspace() for c in ident):
                self.problems.append(f"{self._where()}: <{tag}> has an empty or spaced id")
            self.ids[ident] = self.ids.get(ident, 0) + 1
        for name in REFERENCES:
            for target in (values.get(name) or "").split():
                self.references.append((self._where(), f"{tag} {name}", target))
        href = values.get("href") or ""
        if tag == "a" and href.startswith("#") and len(href) > 1:
            self.references.append((self._where(), "a href", href[1:]))
        if tag in VOID:
            return
        if tag in OPTIONAL_END and self.stack and self.stack[-1] == tag:
            self.stack.pop()  # <li> after <li>: the first one ends here
        self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and {"svg", "math"} & set(self.stack[:-1]):
            self.stack.pop()  # SVG and MathML may close any element with "/>"
        elif tag not in VOID:
            self.problems.append(f"{self._where()}: <{tag}/> is not a void element")
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"{self._where()}: </{tag}> ends a void element")
            return
        if tag not in self.stack:
            self.problems.append(f"{self._where()}: </{tag}> without <{tag}>")
            return
        while self.stack:
            open_tag = self.stack.pop()
            if open_tag == tag:
                return
            if open_tag not in OPTIONAL_END:
                self.problems.append(f"{self._where()}: </{tag}> while <{open_tag}> is open")

    def close(self):
        super().close()
        left = [tag for tag in self.stack if tag not in OPTIONAL_END | {"html", "body", "head"}]
        if left:
            self.problems.append(f"never closed: {', '.join(left)}")
        for ident, count in self.ids.items():
            if count > 1:
                self.problems.append(f'id="{ident}" appears {count} times')
        for where, what, target in self.references:
            if target not in self.ids:
                self.problems.append(f"{where}: {what} points to a missing id {target!r}")


def html_problems(text: str) -> list[str]:
    """Every fault found in one page's HTML source, with its line."""
    checker = _Checker()
    checker.feed(text)
    checker.close()
    return checker.problems
