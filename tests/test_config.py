"""The Streamlit settings that protect visitors: no tracebacks, no telemetry, local assets."""
import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


def test_streamlit_config_hides_errors_sends_no_statistics_and_serves_assets():
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableStaticServing"] is True  # Leaflet from static/vendor
    assert config["server"]["maxUploadSize"] <= 5  # MB, the same cap as geo.ingest.Limits


def test_streamlit_reads_the_settings():
    from streamlit import config as st_config
    st_config.get_config_options(force_reparse=True, options_from_flags={})
    assert st_config.get_option("client.showErrorDetails") == "none"
    assert st_config.get_option("browser.gatherUsageStats") is False
    assert st_config.get_option("client.disableDataExport") is True  # one set of downloads: the app's
    # Nothing between a new visitor and the page files: no source watching, no forced full
    # collection after each run (bench/bench_app.py measures what they cost).
    assert st_config.get_option("server.fileWatcherType") == "none"
    assert st_config.get_option("runner.postScriptGC") is False
