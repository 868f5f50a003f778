"""Files the API serves whole: one file per dataset version, kept on disk.

`GET /v1/export/hsds.zip` (api/open_data/export.py) and the unfiltered
`GET /v1/services?format=ndjson` (api/routes/services.py) are each the same bytes for the
same dataset version, so each is made once per version into a folder (`EXPORT_DIR`) and
then sent from disk: never held in memory, whatever its size. The zip is built by the
first request that needs it (`current`); the NDJSON is kept as the first request streams
it live (`tee`), so that request waits no longer than it always did. Either way the file
is kept only if no write landed while it was read. Its strong ETag is a hash of the file.
Files of older versions are deleted as new ones are made (the one before the current is
kept, for requests already on their way). Several processes may each make the same
version at once; each renames its finished file into place, and the files are identical,
so that race is harmless.

A kind made `gzipped` also keeps a gzip of each file beside it (`<file>.gz`), made with
the file: gzipping hundreds of MB on every download would cap it at the compressor's
speed (about 40 MB/s at api/compression.py's level 6).
"""

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session

from api.compression import GZIP_LEVEL
from api.open_data.export import as_utc
from models import DatasetState

log = logging.getLogger("helpdir.exports")

ATTEMPTS = 3  # builds that a write overtakes are thrown away and made again

# Writes the whole file at `path` from what `session` reads.
Build = Callable[[Session, Path], None]


@dataclass(frozen=True)
class ServedPackage:
    path: Path
    etag: str
    gzipped: Path | None = None  # the same bytes gzipped, for a kind that keeps them


class PackageFiles:
    """The files of one kind, made by `build` (`current`) or kept from a stream (`tee`).
    Each is named `<name>-<database>-<version>-<hash><suffix>`, so kinds that share the
    folder never find or delete each other's."""

    def __init__(
        self,
        engine: Engine,
        directory: Path,
        *,
        build: Build | None = None,
        name: str,
        suffix: str,
        gzipped: bool = False,
    ) -> None:
        self.engine = engine
        self.directory = directory
        self.build = build
        self.suffix = suffix
        self.gzipped = gzipped
        # The same folder may serve several databases (tests, staging): name files by which.
        url = engine.url.render_as_string(hide_password=True)
        self.prefix = f"{name}-" + hashlib.sha256(url.encode()).hexdigest()[:12]
        self.lock = threading.Lock()

    def current(self) -> ServedPackage:
        """The package of the dataset version now published, built if need be."""
        for _ in range(ATTEMPTS):
            version = self._version()
            found = self._find(version)
            if found is not None:
                return found
            with self.lock:  # one build per process at a time; the others then find it
                found = self._find(version)
                if found is not None:
                    return found
                built = self._build(version)
            if built is not None:
                return built
        raise RuntimeError("the directory kept changing while its package was being built")

    def _version(self) -> str:
        with Session(self.engine) as session:
            number, changed_at = session.execute(
                select(DatasetState.version, DatasetState.changed_at).where(DatasetState.id == 1)
            ).one()
        stamp = int(as_utc(changed_at).timestamp() * 1_000_000)
        return f"{number}-{stamp}"

    def _find(self, version: str) -> ServedPackage | None:
        for path in self.directory.glob(f"{self.prefix}-{version}-*{self.suffix}"):
            packed = _packed(path)
            return ServedPackage(
                path,
                '"' + path.stem.rsplit("-", 1)[1] + '"',
                packed if self.gzipped and packed.exists() else None,
            )
        return None

    def ready(self) -> ServedPackage | None:
        """The file of the dataset version now published, if it has been made."""
        return self._find(self._version())

    def tee(self, chunks: Iterable[bytes], send_gzipped: bool = False) -> Iterator[bytes]:
        """Yield `chunks` (gzipped if `send_gzipped`, for a kind kept gzipped: the same gzip
        as the file's, made once for both) and keep them as the current version's file,
        unless a write lands before the last one (or the client leaves early, or another
        request of this process is already keeping one)."""
        packer = _packer() if self.gzipped else None
        if not self.lock.acquire(blocking=False):
            yield from _gzipped(chunks, packer) if send_gzipped and packer else chunks
            return
        try:
            version = self._version()
            with self._partial() as (partial, packed), contextlib.ExitStack() as files:
                digest = hashlib.sha256()
                out = files.enter_context(partial.open("wb"))
                out_packed = files.enter_context(packed.open("wb")) if packer else None
                for chunk in chunks:
                    out.write(chunk)
                    digest.update(chunk)
                    if packer and out_packed:
                        compressed = packer.compress(chunk)
                        out_packed.write(compressed)
                        if send_gzipped:
                            chunk = compressed
                    if chunk:
                        yield chunk
                if packer and out_packed:
                    tail = packer.flush()
                    out_packed.write(tail)
                    if send_gzipped:
                        yield tail
                files.close()
                try:
                    if self._version() == version:
                        self._publish(version, partial, packed, digest.hexdigest()[:32])
                except Exception:  # the client has every byte: keeping a copy is a bonus
                    log.warning("the %s file was not kept", self.suffix, exc_info=True)
        finally:
            self.lock.release()

    def _build(self, version: str) -> ServedPackage | None:
        assert self.build is not None, "this kind is only kept from a stream"
        with self._partial() as (partial, packed):
            with Session(self.engine) as session:
                self.build(session, partial)
            if self._version() != version:
                return None  # a write landed meanwhile: the file may mix two versions
            digest = hashlib.sha256()
            with partial.open("rb") as built:
                while chunk := built.read(1024 * 1024):
                    digest.update(chunk)
            if self.gzipped:
                _gzip(partial, packed)
            return self._publish(version, partial, packed, digest.hexdigest()[:32])

    @contextlib.contextmanager
    def _partial(self) -> Iterator[tuple[Path, Path]]:
        """A new file to write (and its gzip's name), removed unless published."""
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=self.directory, prefix=".building-", suffix=self.suffix)
        os.close(handle)
        partial = Path(name)
        try:
            yield partial, _packed(partial)
        finally:
            partial.unlink(missing_ok=True)
            _packed(partial).unlink(missing_ok=True)

    def _publish(self, version: str, partial: Path, packed: Path, tag: str) -> ServedPackage:
        path = self.directory / f"{self.prefix}-{version}-{tag}{self.suffix}"
        if self.gzipped:
            os.replace(packed, _packed(path))  # first: whoever finds the file finds it
        os.replace(partial, path)
        # The version before is kept, for a request that found it a moment ago and has yet
        # to open it; older ones go (a reader that has one open keeps reading it).
        others = [
            old for old in self.directory.glob(f"{self.prefix}-*{self.suffix}") if old != path
        ]
        others.sort(key=_modified, reverse=True)
        for old in others[1:]:
            old.unlink(missing_ok=True)
            if self.gzipped:
                _packed(old).unlink(missing_ok=True)
        return ServedPackage(path, f'"{tag}"', _packed(path) if self.gzipped else None)


def _modified(path: Path) -> float:
    """When the file was made; another process may have deleted it since it was listed."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _packed(path: Path) -> Path:
    return path.with_name(path.name + ".gz")


def _packer() -> "zlib._Compress":
    """gzip framing with no name or time in its header, so the same file always gives the
    same bytes."""
    return zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)


def _gzipped(chunks: Iterable[bytes], packer: "zlib._Compress") -> Iterator[bytes]:
    for chunk in chunks:
        if compressed := packer.compress(chunk):
            yield compressed
    yield packer.flush()


def _gzip(source: Path, target: Path) -> None:
    """A gzip of `source`, a chunk at a time."""
    packer = _packer()
    with source.open("rb") as plain, target.open("wb") as out:
        while chunk := plain.read(1024 * 1024):
            out.write(packer.compress(chunk))
        out.write(packer.flush())
