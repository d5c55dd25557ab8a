"""Rendering and sanitising lesson Markdown: nothing executable survives."""

from __future__ import annotations

import pytest

from training.catalog import markdown


def render(body: str) -> str:
    return markdown.render(body, image_url=lambda path: f"/content/assets/{path[7:]}")


@pytest.mark.parametrize(
    ("body", "forbidden"),
    [
        ('<script>alert("x")</script>', "<script"),
        ('<img src="x.png" onerror="alert(1)">', "onerror"),
        ('<a href="#" onclick="steal()">x</a>', "onclick"),
        ("[x](javascript:alert(1))", "javascript:"),
        ("[x](JaVaScRiPt:alert(1))", "javascript:"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ("![x](data:image/svg+xml;base64,PHN2Zz4=)", "data:"),
        ('<iframe src="https://evil.example"></iframe>', "<iframe"),
        ("<style>body{display:none}</style>", "<style"),
        ('<svg onload="alert(1)"></svg>', "onload"),
        ('<abbr title="x" onmouseover="alert(1)">OIM</abbr>', "onmouseover"),
    ],
)
def test_dangerous_constructs_are_removed(body: str, forbidden: str) -> None:
    assert forbidden not in render(f"Texto {body} final").lower()


def test_external_links_open_safely_and_lesson_links_become_lesson_numbers() -> None:
    html = render("[OIM](https://www.iom.int/) y [siguiente](02-indicadores.es.md#inicio)")
    assert '<a href="https://www.iom.int/" rel="noopener noreferrer">OIM</a>' in html
    assert 'href="2#inicio"' in html


def test_allowed_markdown_survives() -> None:
    html = render(
        '## Título\n\n**negrita**, *cursiva*, <abbr title="Organización Internacional '
        'para las Migraciones">OIM</abbr>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n'
        "![Mapa](images/mapa.png)"
    )
    assert "<h2>Título</h2>" in html
    assert "<strong>negrita</strong>" in html
    assert '<abbr title="Organización Internacional para las Migraciones">OIM</abbr>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert '<img src="/content/assets/mapa.png" alt="Mapa">' in html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[x](http://example.org)", "link http://example.org must use https://"),
        (
            "[x](../otro/archivo.md)",
            "link '../otro/archivo.md' must be https:// or another lesson's file",
        ),
        ("[x](02-otra.en.md)", "link 02-otra.en.md points at a lesson in another language"),
        ("[x](09-nada.es.md)", "link 09-nada.es.md points at a lesson that does not exist"),
        ("![](images/a.png)", "image images/a.png has no description"),
        (
            "![x](https://example.org/a.png)",
            "image 'https://example.org/a.png' must be a file in the module's images/ folder",
        ),
        ('<span style="color:red">x</span>', "raw HTML <span> is not allowed"),
        ('<abbr class="x">x</abbr>', "attribute class= is not allowed on <abbr>"),
    ],
)
def test_link_image_and_html_problems_are_named(body: str, message: str) -> None:
    problems = markdown.check(
        f"Línea uno\n\n{body}\n",
        language="es",
        lesson_exists=lambda name: name == "02-otra.es.md",
        image_exists=lambda path: True,
    )
    assert [(problem.line, problem.message) for problem in problems] == [(3, message)]
