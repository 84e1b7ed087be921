"""One message catalogue in two languages: a missing translation fails here."""
import re
from pathlib import Path

import geo
from geo.export import EXPORT_COLUMNS, column_descriptions
from geo.i18n import LANGUAGES, MESSAGES

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
