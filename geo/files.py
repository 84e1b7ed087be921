"""Reading users' files and writing outputs without losing anything.

* An input must be a regular file (not a directory, device or FIFO: `/dev/zero` would be read
  until memory runs out) and is read with a cap when one is given.
* An output never replaces an input (symlinks resolved), and is written to a temporary file in
  the same folder and renamed into place, so a write that fails half-way (a full disk) leaves
  the previous file as it was.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import InputError


def check_input(path: str | Path, *, max_bytes: int | None = None) -> int:
    """The size of a regular file within `max_bytes`, or an InputError that names it and says
    why not (for a file that is read in pieces rather than at once)."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError("no such file", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise InputError(f"this is {kind}", file=str(path), expected="a regular file")
    if max_bytes is not None and info.st_size > max_bytes:
        raise InputError(f"file is {info.st_size:,} bytes, more than the limit of {max_bytes:,}",
                         file=str(path))
    return info.st_size


def read_input(path: str | Path, *, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file, or an InputError that names it and says why not."""
    path = Path(path)
    check_input(path, max_bytes=max_bytes)
    try:
        with path.open("rb") as f:
            return f.read() if max_bytes is None else f.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from None


def check_output(path: str | Path, *, inputs=()) -> Path:
    """The resolved path of an output file, or an InputError: it is one of `inputs`, or it is
    there and is not a regular file."""
    path = Path(path)
    target = path.resolve()
    for source in inputs:
        if source is not None and Path(source).resolve() == target:
            raise InputError("the output would overwrite an input file", file=str(path),
                             expected="another output path")
    if target.exists() and not target.is_file():  # a directory, /dev/full, a FIFO...
        kind = "a directory" if target.is_dir() else "not a regular file"
        raise InputError(f"the output is {kind}", file=str(path), expected="a file path")
    return target


def write_output(path: str | Path, data: str | bytes, *, inputs=()) -> None:
    """Write `data` to `path` atomically; refuse a path that is one of `inputs`."""
    path = Path(path)
    target = check_output(path, inputs=inputs)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise InputError(f"cannot write here ({exc.strerror or exc})", file=str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        if target.exists():  # keep the permissions of the file we replace
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write the file ({exc.strerror or exc}); nothing was changed",
                         file=str(path)) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
