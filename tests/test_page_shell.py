"""What every page carries around its content: the icon browsers ask for."""

from __future__ import annotations


def test_favicon_is_served_to_everyone(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    body = response.get_data()
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert len(body) < 5_000  # small: members read on small data plans


def test_every_page_names_its_icon(client, people):
    page = client.get("/sign-in").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32"' in page


def test_a_table_written_in_markdown_scrolls_in_its_own_focusable_box(app):
    from portal.documents.content import render_markdown

    with app.test_request_context():
        html = str(render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n<table>raw</table>"))
    assert html.startswith('<div class="table-scroll" role="region" tabindex="0" '
                           'aria-label="Table"><table>')
    assert html.count("<table>") == 1 and "</table></div>" in html
    assert "&lt;table&gt;raw" in html  # typed HTML stays text
