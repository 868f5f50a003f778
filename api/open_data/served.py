"""The package `GET /v1/export/hsds.zip` serves: one file per dataset version, kept on disk.

The package is the same bytes for the same dataset version (api/open_data/export.py), so it
is built once per version, by the first request that needs it, into a folder
(`EXPORT_DIR`), and then sent from disk: never held in memory, whatever its size. Its
strong ETag is a hash of the file. Files of older versions are deleted as new ones are made
(the one before the current is kept, for requests already on their way). Several processes
may each build the same version at once; each renames its finished file into place, and the
files are identical, so that race is harmless.
"""

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session

from api.open_data.export import as_utc, write_package
from models import DatasetState

ATTEMPTS = 3  # builds that a write overtakes are thrown away and made again


@dataclass(frozen=True)
class ServedPackage:
    path: Path
    etag: str


class PackageFiles:
    def __init__(self, engine: Engine, directory: Path) -> None:
        self.engine = engine
        self.directory = directory
        # The same folder may serve several databases (tests, staging): name files by which.
        url = engine.url.render_as_string(hide_password=True)
        self.prefix = "hsds-" + hashlib.sha256(url.encode()).hexdigest()[:12]
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
        for path in self.directory.glob(f"{self.prefix}-{version}-*.zip"):
            return ServedPackage(path, '"' + path.stem.rsplit("-", 1)[1] + '"')
        return None

    def _build(self, version: str) -> ServedPackage | None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=self.directory, prefix=".building-", suffix=".zip")
        os.close(handle)
        partial = Path(name)
        try:
            with Session(self.engine) as session:
                write_package(session, partial)
            if self._version() != version:
                return None  # a write landed meanwhile: the file may mix two versions
            digest = hashlib.sha256()
            with partial.open("rb") as built:
                while chunk := built.read(1024 * 1024):
                    digest.update(chunk)
            tag = digest.hexdigest()[:32]
            path = self.directory / f"{self.prefix}-{version}-{tag}.zip"
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        # The version before is kept, for a request that found it a moment ago and has yet
        # to open it; older ones go (a reader that has one open keeps reading it).
        others = [old for old in self.directory.glob(f"{self.prefix}-*.zip") if old != path]
        others.sort(key=lambda old: old.stat().st_mtime, reverse=True)
        for old in others[1:]:
            old.unlink(missing_ok=True)
        return ServedPackage(path, f'"{tag}"')
