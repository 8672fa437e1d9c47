"""What of a page or report is still in English although the reader asked for another language: the texts of the
`sps` catalogue whose translation differs from the English, found in the shown text (a whole line for short labels
such as "Indicator", a phrase of three words or more anywhere for sentences), plus running English (" the ",
" and ", " of the " ...) outside the parts the page marks lang="en". Used by the browser test of the City profile
and by the report's language test; `allowed` names the proper names and codes a page may show in English."""

from __future__ import annotations

import re
import string
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parents[1] / "locales"
RUNNING_ENGLISH = re.compile(r"\b(?:the|and|of the|with|which|is not|has no|from|this|these|there)\b")


def _pieces(message: str) -> list[str]:
    """The literal text of a message around its {placeholders}, each piece stripped of spaces and punctuation."""
    pieces = [literal for literal, *_ in string.Formatter().parse(message)]
    return [p.strip(" \t\n.,;:()[]–—-'\"") for p in pieces if p and p.strip(" \t\n.,;:()[]–—-'\"")]


@cache
def english_texts(lang: str) -> tuple[frozenset[str], frozenset[str]]:
    """(labels, phrases): the English of every message translated differently in `lang`. A label is a message of
    at most three words without placeholders (matched as a whole line); a phrase is a piece of three words or more
    (matched anywhere), unless the translations themselves use it (a name kept in English, such as a survey's)."""
    with (LOCALES / lang / "LC_MESSAGES" / "sps.po").open("rb") as fh:
        catalogue = read_po(fh, locale=lang)
    messages = [m for m in catalogue if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string]
    translated = "\n".join(m.string for m in messages)
    labels, phrases = set(), set()
    for m in messages:
        if m.string.strip().casefold() == m.id.strip().casefold():
            continue  # the same in both languages ("Population" in French, "Total" ...)
        if "{" not in m.id and len(m.id.split()) <= 3 and m.id.strip() not in translated:
            labels.add(m.id.strip())
        for piece in _pieces(m.id):
            if len(piece.split()) >= 3 and piece not in translated:
                phrases.add(piece)
    return frozenset(labels), frozenset(phrases)


def english_left(text: str, lang: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """The English found in `text` (what a reader sees) of a page or report shown in `lang`, as a sorted list of
    'label: ...', 'phrase: ...' and 'running English: ...' findings; empty when none is left."""
    for name in allowed:
        text = text.replace(name, " ")
    labels, phrases = english_texts(lang)
    lines = {line.strip() for line in text.splitlines() if line.strip()}
    found = {f"label: {line}" for line in lines & labels}
    found |= {f"phrase: {phrase}" for phrase in phrases if phrase in text}
    for match in RUNNING_ENGLISH.finditer(text):
        found.add(f"running English: ...{text[max(0, match.start() - 40) : match.end() + 40]}...".replace("\n", " | "))
    return sorted(found)


class _Shown(HTMLParser):
    """The text of an HTML document a reader sees: no script, style, SVG internals or title attribute, and
    nothing inside an element marked lang="en" (an English original the page labels as such)."""

    SKIP = {"script", "style", "svg", "template", "head"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, skip_english: bool) -> None:
        super().__init__()
        self.skip_english = skip_english
        self.stack: list[bool] = []  # for each open element: is it hidden from this reading?
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        hidden = (
            (self.stack and self.stack[-1])
            or tag in self.SKIP
            or (self.skip_english and dict(attrs).get("lang") == "en")
        )
        self.stack.append(bool(hidden))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.parts.append(data.strip())


def shown_text(html: str, skip_english: bool = True) -> str:
    """The text a reader sees; `skip_english=False` keeps the parts marked lang="en" (an English document)."""
    parser = _Shown(skip_english)
    parser.feed(html)
    return "\n".join(parser.parts)
