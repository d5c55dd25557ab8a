"""Lesson Markdown: checked when content is validated, rendered and sanitised once at sync.

Rendering uses markdown-it-py (CommonMark plus tables); the HTML is then cleaned by nh3
with an allow-list, so that whatever an editor writes, no script, event handler,
``javascript:`` or ``data:`` URL can reach a learner's browser.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

# Raw HTML an editor may write inside Markdown, with the attributes allowed on each.
RAW_HTML_ALLOWED: dict[str, set[str]] = {
    "abbr": {"title"},
    "kbd": set(),
    "sub": set(),
    "sup": set(),
    "mark": set(),
    "br": set(),
}

# Everything the renderer itself produces, plus the raw tags above. Table alignment
# (inline ``style``) is dropped: the Content-Security-Policy forbids inline styles.
SANITIZE_TAGS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "img",
    "blockquote",
    "code",
    "pre",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
} | set(RAW_HTML_ALLOWED)
SANITIZE_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "abbr": {"title"},
}

LESSON_LINK = re.compile(r"^(?P<number>\d{2})-[a-z0-9-]+\.(?P<language>[a-z]{2})\.md(?:#[\w-]+)?$")
IMAGE_PATH = re.compile(r"^images/[A-Za-z0-9._-]+\.(png|jpe?g|gif|svg|webp)$")


@dataclass(frozen=True)
class MarkdownProblem:
    line: int  # 1-based, within the Markdown body
    message: str


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table")
    # Let every link through to the token stream, so that validation can name it;
    # the sanitiser removes what is not allowed.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _raw_html_problems(html: str, line: int) -> list[MarkdownProblem]:
    collector = _TagCollector()
    collector.feed(html)
    problems = []
    lowered = html.lower()
    if "<script" in lowered:
        problems.append(MarkdownProblem(line, "raw HTML <script> is not allowed"))
    for tag, attrs in collector.tags:
        allowed = RAW_HTML_ALLOWED.get(tag)
        if allowed is None and tag != "script":
            problems.append(MarkdownProblem(line, f"raw HTML <{tag}> is not allowed"))
        for name, _value in attrs:
            if name.startswith("on"):
                problems.append(
                    MarkdownProblem(line, f"event handler attribute {name}= is not allowed")
                )
            elif allowed is not None and name not in allowed:
                problems.append(
                    MarkdownProblem(line, f"attribute {name}= is not allowed on <{tag}>")
                )
    if not collector.tags and re.search(r"\bon[a-z]+\s*=", lowered):
        problems.append(MarkdownProblem(line, "event handler attributes are not allowed"))
    return problems


def _walk(tokens: list[Token]) -> list[tuple[Token, int]]:
    """Every token with the 1-based line of the block it belongs to."""
    found: list[tuple[Token, int]] = []
    line = 1
    for token in tokens:
        if token.map:
            line = token.map[0] + 1
        found.append((token, line))
        for child in token.children or []:
            found.append((child, line))
    return found


def check(
    body: str,
    *,
    language: str,
    lesson_exists: Callable[[str], bool],
    image_exists: Callable[[str], bool],
) -> list[MarkdownProblem]:
    """Problems in a lesson's Markdown: raw HTML, links and images."""
    try:
        tokens = _parser().parse(body)
    except Exception as error:  # markdown-it should never fail, but a file must not crash sync
        return [MarkdownProblem(1, f"Markdown does not render: {error}")]
    problems: list[MarkdownProblem] = []
    for token, line in _walk(tokens):
        if token.type in {"html_block", "html_inline"}:
            problems.extend(_raw_html_problems(token.content, line))
        elif token.type == "link_open":
            problems.extend(
                _link_problems(str(token.attrs.get("href", "")), line, language, lesson_exists)
            )
        elif token.type == "image":
            source = str(token.attrs.get("src", ""))
            if not IMAGE_PATH.match(source):
                problems.append(
                    MarkdownProblem(
                        line, f"image {source!r} must be a file in the module's images/ folder"
                    )
                )
            elif not image_exists(source):
                problems.append(MarkdownProblem(line, f"image {source} does not exist"))
            if not token.content.strip():
                problems.append(MarkdownProblem(line, f"image {source} has no description"))
    return problems


def _link_problems(
    href: str, line: int, language: str, lesson_exists: Callable[[str], bool]
) -> list[MarkdownProblem]:
    lowered = href.strip().lower()
    if lowered.startswith(("javascript:", "data:", "vbscript:")):
        scheme = lowered.split(":", 1)[0]
        return [MarkdownProblem(line, f"{scheme}: links are not allowed")]
    if lowered.startswith("https://") or lowered.startswith("#"):
        return []
    if lowered.startswith("http://"):
        return [MarkdownProblem(line, f"link {href} must use https://")]
    match = LESSON_LINK.match(href)
    if match:
        if match.group("language") != language:
            return [MarkdownProblem(line, f"link {href} points at a lesson in another language")]
        if not lesson_exists(href.split("#", 1)[0]):
            return [MarkdownProblem(line, f"link {href} points at a lesson that does not exist")]
        return []
    return [MarkdownProblem(line, f"link {href!r} must be https:// or another lesson's file")]


def render(body: str, *, image_url: Callable[[str], str]) -> str:
    """Markdown to sanitised HTML. Lesson links become relative lesson numbers; images
    point at the stored copies; external links open with ``rel="noopener noreferrer"``."""
    md = _parser()
    tokens = md.parse(body)
    for token, _line in _walk(tokens):
        if token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            match = LESSON_LINK.match(href)
            if match:
                anchor = href.split("#", 1)[1] if "#" in href else ""
                token.attrs["href"] = str(int(match.group("number"))) + (
                    f"#{anchor}" if anchor else ""
                )
        elif token.type == "image":
            token.attrs["src"] = image_url(str(token.attrs.get("src", "")))
    html = md.renderer.render(tokens, md.options, {})
    return sanitize(html)


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=SANITIZE_TAGS,
        attributes=SANITIZE_ATTRIBUTES,
        url_schemes={"https"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
