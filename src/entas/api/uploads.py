"""Uploaded files (plans, delivery reports): copied to a private scratch folder under their own name, bounded.

The importers read files by path and report the file's name in rejects and audit rows, so an upload is
written as ``<scratch>/<random>/<safe name>`` (the name reduced to letters, digits, dot, dash and
underscore; the suffix must be one the importer reads) and removed when the request ends. A file larger
than the limit is refused with 413 before anything is imported.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import HTTPException, UploadFile, status

from entas.errors import InputFileError

_CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(filename: str | None, default: str) -> str:
    """The file's base name with only safe characters (no path, no leading dot)."""
    base = Path((filename or "").replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).lstrip(".")[:120]
    return cleaned or default


@contextmanager
def saved_upload(upload: UploadFile, scratch: Path, *, suffixes: tuple[str, ...], limit: int,
                 default: str) -> Iterator[Path]:
    """The upload as a file on disk (removed afterwards); ``InputFileError`` for a suffix not in ``suffixes``."""
    name = safe_name(upload.filename, default)
    if Path(name).suffix.lower() not in suffixes:
        raise InputFileError(f"{name}: expected a file ending in {', '.join(suffixes)}")
    scratch.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=scratch))
    try:
        path = folder / name
        written = 0
        with path.open("wb") as out:
            while chunk := upload.file.read(_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                                        detail=f"{name}: larger than the limit of {limit // (1 << 20)} MiB")
                out.write(chunk)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)
