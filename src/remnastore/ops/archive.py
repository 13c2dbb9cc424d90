"""The backup archive: one ``.tar.gz`` holding the dumps and a manifest with their checksums.

Layout (flat, no directories)::

    manifest.json      what is inside, made by which versions, with the size and sha256 of every file
    database.pgdump    PostgreSQL (pg_dump --format=custom)  | or database.sqlite3 (a SQLite copy)
    redis.jsonl        Redis keys (DUMP + PTTL, base64), when the shop uses Redis
    config.env         the effective settings, secrets replaced by "<redacted>"

Archives are named ``remnastore-YYYYMMDD-HHMMSSZ[-N].tar.gz`` (UTC), which is what rotation reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
PG_DUMP_FILE = "database.pgdump"
SQLITE_FILE = "database.sqlite3"
REDIS_FILE = "redis.jsonl"
CONFIG_FILE = "config.env"
FORMAT_VERSION = 1
ARCHIVE_RE = re.compile(r"^remnastore-(\d{8})-(\d{6})Z(?:-(\d+))?\.tar\.gz$")
_CHUNK = 1024 * 1024


class ArchiveError(Exception):
    """The archive is unreadable, incomplete or altered."""


@dataclass(frozen=True)
class FileEntry:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    app_version: str
    created_at: str
    alembic_revision: str | None
    database_dialect: str
    database_server_version: str
    database_file: str
    dump_tool: str | None = None
    redis_keys: int | None = None
    files: list[FileEntry] = field(default_factory=list)
    format: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            data: dict[str, Any] = json.loads(text)
            files = [FileEntry(**entry) for entry in data.pop("files")]
            manifest = cls(files=files, **data)
        except (ValueError, TypeError, KeyError) as exc:
            raise ArchiveError(f"the manifest is not readable: {exc}") from None
        if manifest.format != FORMAT_VERSION:
            raise ArchiveError(f"unsupported archive format {manifest.format}")
        return manifest


def archive_name(created: datetime, attempt: int = 1) -> str:
    stamp = created.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return f"remnastore-{stamp}Z.tar.gz" if attempt <= 1 else f"remnastore-{stamp}Z-{attempt}.tar.gz"


def archive_time(name: str) -> datetime | None:
    """The creation time written in an archive's name (None for any other file name)."""
    match = ARCHIVE_RE.match(name)
    if match is None:
        return None
    try:
        moment = datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    # several archives within one second keep their order: -2 is newer than the unnumbered one
    return moment.replace(microsecond=min(int(match.group(3) or 1), 999_999))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def describe(path: Path) -> FileEntry:
    return FileEntry(path.name, path.stat().st_size, sha256_of(path))


def write_archive(target: Path, work_dir: Path, manifest: Manifest, files: list[Path]) -> None:
    """Write ``manifest.json`` (into ``work_dir`` first) and ``files`` into ``target``, created under a
    temporary name and renamed when complete, readable by its owner only."""
    partial = target.with_name(target.name + ".partial")
    manifest_path = work_dir / MANIFEST
    manifest_path.write_text(manifest.to_json(), encoding="utf-8")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for path in [manifest_path, *files]:
                info = tar.gettarinfo(str(path), arcname=path.name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o600
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def read_manifest(archive: Path) -> Manifest:
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            member = tar.getmember(MANIFEST)
            handle = tar.extractfile(member)
            if handle is None:
                raise ArchiveError("the manifest is not a file")
            return Manifest.from_json(handle.read().decode("utf-8"))
    except KeyError:
        raise ArchiveError(f"{archive.name} has no {MANIFEST}: not a remnastore backup") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"{archive.name} is not a readable .tar.gz archive: {exc}") from None


def extract_verified(archive: Path, into: Path) -> Manifest:
    """Extract the archive into the directory ``into`` after checking it, and check every file against
    the manifest (size and sha256). Raises :class:`ArchiveError` on anything unexpected: a missing,
    extra, altered, linked or oddly named member."""
    manifest = read_manifest(archive)
    expected = {entry.name: entry for entry in manifest.files}
    if len(expected) != len(manifest.files):
        raise ArchiveError("the manifest lists a file twice")
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            members = tar.getmembers()
            names = [member.name for member in members]
            for member in members:
                if not member.isfile() or "/" in member.name or member.name.startswith("."):
                    raise ArchiveError(f"unexpected entry {member.name!r} in the archive")
            if sorted(names) != sorted([MANIFEST, *expected]):
                raise ArchiveError(
                    "the archive's files do not match its manifest "
                    f"(archive: {sorted(names)}, manifest: {sorted(expected)})"
                )
            for member in members:
                if member.name == MANIFEST:
                    continue
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover - isfile() was checked
                    raise ArchiveError(f"cannot read {member.name}")
                target = into / member.name
                with source, target.open("wb") as out:
                    while chunk := source.read(_CHUNK):
                        out.write(chunk)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"{archive.name} cannot be read: {exc}") from None
    for name, entry in expected.items():
        actual = describe(into / name)
        if actual.size != entry.size or actual.sha256 != entry.sha256:
            raise ArchiveError(f"{name} does not match its checksum: the archive is damaged or was altered")
    return manifest
