"""A privacy policy as sentences: HTML stripped, lines kept, headings and lists told apart.

Each sentence is quoted exactly as the policy writes it (an exact substring of the text,
or of the HTML's text), with the line it starts on, the heading it sits under, and for a
list item the sentence that introduced the list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

_BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul", "title",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIPPED = {"script", "style", "noscript", "template", "svg", "head"}
_LIST_MARK = re.compile(r"^(?:[-*•·▪◦–]\s+|\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+)")
_ABBREVIATIONS = {
    "e.g", "i.e", "inc", "ltd", "llc", "co", "corp", "st", "ste", "n", "s", "e", "w", "no", "cal",
    "civ", "stat", "bus", "com", "gen", "va", "u.s", "art", "para", "lit", "etc", "vs", "mr", "ms",
    "dr", "approx", "incl", "www", "reg", "sec", "ave", "blvd", "rd", "dept", "fig", "p", "pp",
}
# a sentence ends at . ! or ? before a capital, a digit or a name such as "iMicro"
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(]?(?:[A-Z0-9]|[a-z][A-Z]))")


@dataclass(frozen=True)
class Line:
    """A line of the policy's text: where it starts in the source, and whether it is a
    heading (with its level, 1 to 6, when HTML or Markdown gives one)."""

    text: str
    number: int
    heading: bool = False
    level: int | None = None


@dataclass(frozen=True)
class Sentence:
    """One sentence (or heading, list item or table row) of a policy."""

    text: str
    line: int
    heading: bool = False
    list_item: bool = False
    table_row: bool = False
    section: str = ""
    lead_in: str | None = None
    level: int | None = None


class _TextExtractor(HTMLParser):
    """The text of an HTML page, one block per line, table cells joined by `` | ``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[Line] = []
        self._parts: list[str] = []
        self._start = 1
        self._heading: int | None = None
        self._skipping = 0
        self._item = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self._flush()
            self._heading = int(tag[1]) if tag in _HEADINGS else None
            self._item = tag == "li"
        elif tag in ("td", "th") and self._parts:
            self._parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self._flush()
        elif tag in ("td", "th"):
            self._parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if not "".join(self._parts).strip():
            self._start = self.getpos()[0]
        self._parts.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        text = " ".join("".join(self._parts).split())
        if text and text.strip("| "):
            if self._item:
                text = "- " + text
            self.lines.append(Line(text, self._start, self._heading is not None, self._heading))
        self._parts = []
        self._heading = None
        self._item = False


def looks_like_html(text: str) -> bool:
    """True when ``text`` is an HTML page or fragment rather than plain text."""
    head = text[:4000].lower()
    return bool(re.search(r"<(?:!doctype html|html|body|p|div|h[1-6]|ul|li|br|table)\b", head))


def policy_lines(text: str) -> list[Line]:
    """The lines of a policy, HTML stripped with the standard library's parser."""
    if looks_like_html(text):
        extractor = _TextExtractor()
        extractor.feed(text)
        extractor.close()
        return extractor.lines
    lines: list[Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        marked = _MARKDOWN_HEADING.match(line)
        if marked:
            lines.append(Line(marked.group(2).strip(), number, True, len(marked.group(1))))
        elif line:
            introduced = bool(lines) and lines[-1].text.endswith(":")  # an item of a list, not a heading
            heading, level = (False, None) if introduced else plain_heading(line)
            lines.append(Line(line, number, heading, level))
    return lines


_NUMBERED = re.compile(r"^(?:(?:section|part|article|chapter|§)\s*)?((?:\d{1,2}\.)*\d{1,2})\.?\)?\s+(?=\S)",
                       re.IGNORECASE)
_ROMAN = re.compile(r"^(?:part\s+)?[IVXL]{1,6}[.)]\s+(?=\S)")


def plain_heading(line: str) -> tuple[bool, int | None]:
    """Whether a plain-text line is a heading, and its level where the text shows one: the
    depth of its numbering (``2.`` 1, ``2.1`` 2, ``Section 3`` 1, ``IV.`` 1), capitals (1);
    a title without either has no level the text shows (``None``)."""
    numbered = _NUMBERED.match(line)
    roman = _ROMAN.match(line)
    if numbered or roman:
        rest = line[(numbered or roman).end():]  # type: ignore[union-attr]
        if rest and _is_heading(rest):
            return True, numbered.group(1).count(".") + 1 if numbered else 1
        return False, None
    if not _is_heading(line):
        return False, None
    letters = [c for c in line if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters):
        return True, 1
    return True, None


def _is_heading(line: str) -> bool:
    if _LIST_MARK.match(line) or "|" in line or "@" in line:
        return False
    words = line.split()
    if not 0 < len(words) <= 12 or line[-1] in ".;,:":
        return False
    if not line[0].isupper():
        return False
    digits = sum(c.isdigit() for c in line)
    return digits * 4 < len(line)


def split_sentences(line: str) -> list[str]:
    """The sentences of one line, each an exact substring of it."""
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        end = match.start() + 1
        before = line[start:end].rstrip(".!?")
        last = re.split(r"[\s(]", before)[-1].lower()
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        piece = line[start:match.end()].strip()
        if piece:
            pieces.append(piece)
        start = match.end()
    rest = line[start:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def read_policy(text: str) -> list[Sentence]:
    """The sentences of a policy (plain text or HTML), in order."""
    sentences: list[Sentence] = []
    section = ""
    lead_in: str | None = None
    for line in policy_lines(text):
        if line.heading:
            section = line.text
            lead_in = None
            sentences.append(
                Sentence(line.text, line.number, heading=True, section=section, level=line.level)
            )
            continue
        if "|" in line.text:
            if not re.fullmatch(r"[\s|:\-]+", line.text):
                sentences.append(Sentence(line.text, line.number, table_row=True, section=section))
            continue
        mark = _LIST_MARK.match(line.text)
        if mark and mark.group(0).strip() in ("-", "*", "•", "·", "▪", "◦", "–"):
            for part in split_sentences(line.text[mark.end():].strip()):
                sentences.append(
                    Sentence(part, line.number, list_item=True, section=section, lead_in=lead_in)
                )
            continue
        parts = split_sentences(line.text)
        for part in parts:
            sentences.append(Sentence(part, line.number, section=section))
        lead_in = parts[-1] if parts and parts[-1].endswith(":") else None
    return sentences
