"""Every notice ever published, kept by version so a consent can point at what a person saw.

For now a folder: ``<state_dir>/notices/<version>.<ext>`` holds each text and
``index.json`` lists them in the order they were recorded. Recording the same text twice
changes nothing. A version may be named by any unambiguous prefix of its hex digest.
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from custos.datamap import DataMap
from custos.errors import CustosError
from custos.notice.render import RenderedNotice, content_version, render_notice

INDEX = "index.json"
MIN_PREFIX = 6


class NoticeVersionError(CustosError):
    """A version that is not recorded, or a prefix that names several."""

    code = "unknown_notice_version"
    exit_code = 2


@dataclass(frozen=True)
class NoticeVersion:
    """One recorded rendering of the notice."""

    version: str
    format: str
    updated: date
    recorded_at: datetime
    map_digest: str | None = None

    @property
    def file_name(self) -> str:
        return f"{self.version}.{self.format}"

    def to_dict(self) -> dict[str, Any]:
        """The entry as stored in ``index.json``."""
        data = asdict(self)
        data["updated"] = self.updated.isoformat()
        data["recorded_at"] = self.recorded_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoticeVersion:
        """An entry read back from ``index.json``."""
        return cls(
            version=str(data["version"]),
            format=str(data["format"]),
            updated=date.fromisoformat(str(data["updated"])),
            recorded_at=datetime.fromisoformat(str(data["recorded_at"])),
            map_digest=data.get("map_digest"),
        )


class NoticeVersions:
    """The store of published notice versions in ``folder``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def in_state_dir(cls, state_dir: str | Path) -> NoticeVersions:
        """The store under Custos's state folder (``CUSTOS_STATE_DIR``)."""
        return cls(Path(state_dir) / "notices")

    def list(self) -> list[NoticeVersion]:
        """Every recorded version, oldest first."""
        path = self.folder / INDEX
        if not path.exists():
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return [NoticeVersion.from_dict(entry) for entry in data["versions"]]
        except (ValueError, KeyError, TypeError) as error:
            raise CustosError(f"notice index is damaged: {error}", where=str(path)) from None

    def latest(self, fmt: str) -> NoticeVersion | None:
        """The most recently recorded version in ``fmt``, if any."""
        found = [v for v in self.list() if v.format == fmt]
        return found[-1] if found else None

    def record(self, notice: RenderedNotice, *, map_digest: str | None = None) -> NoticeVersion:
        """Keep ``notice``; recording a version already kept returns the existing entry."""
        versions = self.list()
        for existing in versions:
            if existing.version == notice.version:
                return existing
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = NoticeVersion(
            version=notice.version,
            format=notice.format,
            updated=notice.updated,
            recorded_at=datetime.now(UTC).replace(microsecond=0),
            map_digest=map_digest,
        )
        _write_atomically(self.folder / entry.file_name, notice.text)
        payload = {"versions": [v.to_dict() for v in [*versions, entry]]}
        _write_atomically(self.folder / INDEX, json.dumps(payload, indent=2) + "\n")
        return entry

    def resolve(self, name: str) -> NoticeVersion:
        """The version named by ``name``: its full digest or a prefix of at least 6 digits."""
        name = name.strip().lower()
        if len(name) < MIN_PREFIX:
            raise NoticeVersionError(f"name a version by at least {MIN_PREFIX} hex digits, not {name!r}")
        found = [v for v in self.list() if v.version.startswith(name)]
        if not found:
            raise NoticeVersionError(f"no notice version {name!r}", option="notice_versions")
        if len(found) > 1:
            names = ", ".join(v.version[:12] for v in found)
            raise NoticeVersionError(f"{name!r} names several versions ({names}); give more digits")
        return found[0]

    def text(self, name: str) -> str:
        """The text of version ``name``, checked against its digest."""
        entry = self.resolve(name)
        path = self.folder / entry.file_name
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise NoticeVersionError(f"cannot read {path}: {error.strerror}") from None
        if content_version(text) != entry.version:
            raise NoticeVersionError(f"{path} was changed after it was recorded")
        return text

    def diff(self, old: str, new: str) -> str:
        """A unified diff from version ``old`` to version ``new``."""
        before, after = self.resolve(old), self.resolve(new)
        lines = difflib.unified_diff(
            self.text(before.version).splitlines(keepends=True),
            self.text(after.version).splitlines(keepends=True),
            fromfile=f"{before.version[:12]} ({before.format}, updated {before.updated})",
            tofile=f"{after.version[:12]} ({after.format}, updated {after.updated})",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def publish(
    datamap: DataMap,
    fmt: str,
    store: NoticeVersions,
    *,
    today: date,
    updated: date | None = None,
) -> tuple[RenderedNotice, NoticeVersion]:
    """Render the notice and record it in ``store``.

    Without an explicit ``updated`` date, a notice whose contents did not change keeps
    the date of its latest version (its "last updated" date only moves when the text
    does); a changed notice is dated ``today``.
    """
    if updated is None:
        latest = store.latest(fmt)
        if latest is not None:
            again = render_notice(datamap, fmt, latest.updated)
            if again.version == latest.version:
                return again, latest
        updated = today
    notice = render_notice(datamap, fmt, updated)
    return notice, store.record(notice, map_digest=datamap.digest)
