"""Rendering the privacy notice from the data map, as HTML or Markdown, versioned by hash.

Every value taken from the map is escaped: HTML by Jinja2's autoescape, Markdown by a
``finalize`` hook that backslash-escapes the characters Markdown would read as markup
(raw HTML included), so a name such as ``<script>`` is shown, never run.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

from custos.datamap import DataMap
from custos.errors import CustosError
from custos.notice.contents import notice_contents

NoticeFormat = Literal["html", "md"]
FORMATS: tuple[NoticeFormat, ...] = ("html", "md")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~#])")


class NoticeFormatError(CustosError):
    """A notice format other than html or md."""

    code = "invalid_notice_format"
    exit_code = 2


@dataclass(frozen=True)
class RenderedNotice:
    """A rendered notice; ``version`` is the SHA-256 of its text, in hex."""

    text: str
    version: str
    format: NoticeFormat
    updated: date

    @property
    def short_version(self) -> str:
        """The first 12 hex digits of the version, enough to name it on a command line."""
        return self.version[:12]


def content_version(text: str) -> str:
    """The version of a rendered text: SHA-256 of its UTF-8 bytes, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def long_date(day: date) -> str:
    """``November 21, 2026``."""
    return f"{day:%B} {day.day}, {day.year}"


def markdown_text(value: Any) -> str:
    """A value printed into Markdown: one line, markup characters escaped."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _environment(autoescape: bool, finalize: Any = None) -> Environment:
    kwargs: dict[str, Any] = {"finalize": finalize} if finalize is not None else {}
    env = Environment(
        loader=PackageLoader("custos.notice", "templates"),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        **kwargs,
    )
    env.filters["long_date"] = long_date
    return env


@functools.cache
def html_environment() -> Environment:
    """The Jinja2 environment of HTML templates: autoescape on."""
    return _environment(autoescape=True)


@functools.cache
def markdown_environment() -> Environment:
    """The Jinja2 environment of Markdown templates: every printed value escaped."""
    return _environment(autoescape=False, finalize=markdown_text)


def render_notice(datamap: DataMap, fmt: str, updated: date) -> RenderedNotice:
    """The privacy notice of ``datamap`` in ``fmt`` (``html`` or ``md``), last updated ``updated``.

    The same map, format and date always give the same text, hence the same version.
    """
    if fmt not in FORMATS:
        raise NoticeFormatError(f"unknown notice format {fmt!r}; use html or md")
    contents = notice_contents(datamap, updated)
    if fmt == "html":
        text = html_environment().get_template("notice.html.j2").render(n=contents)
        notice_format: NoticeFormat = "html"
    else:
        text = markdown_environment().get_template("notice.md.j2").render(n=contents)
        text = re.sub(r"\n{3,}", "\n\n", text)
        notice_format = "md"
    return RenderedNotice(text=text, version=content_version(text), format=notice_format, updated=updated)
