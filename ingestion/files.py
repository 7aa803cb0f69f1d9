"""Recorded payload files: ``name.json`` or ``name.json.gz``, read with errors naming the file."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from ingestion.batch import PayloadError


def recorded_bytes(path: Path) -> tuple[bytes, Path]:
    """The bytes of ``path`` or of ``path.gz`` (decompressed), and which file was read."""
    zipped = path.with_name(path.name + ".gz")
    if path.is_file():
        return path.read_bytes(), path
    if zipped.is_file():
        try:
            return gzip.decompress(zipped.read_bytes()), zipped
        except (OSError, EOFError, zlib.error) as error:
            raise PayloadError(f"{zipped}: not a readable gzip file ({error})") from None
    raise FileNotFoundError(f"no recorded file {path} (nor {zipped.name})")


def recorded_names(folder: Path, pattern: str = "*.json") -> set[str]:
    """Names (without ``.json``/``.json.gz``) of the recorded files in ``folder``."""
    names = {p.name for p in folder.glob(pattern)} | {
        p.name[:-3] for p in folder.glob(pattern + ".gz")}
    return {n.removesuffix(".json") for n in names}
