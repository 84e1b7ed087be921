"""An upload's work runs in a worker process with a time budget (geo.within_budget), and the app
uses it: a file that needs too long ends in one line naming it, and the page stays."""
from __future__ import annotations

import multiprocessing
import os
import time

import pytest
import streamlit
import streamlit_folium

import geo
from tests.test_app import Recorder


def test_the_answer_comes_back_from_another_process():
    pid, total = geo.within_budget(lambda xs: (os.getpid(), sum(xs)), [1, 2, 3], file="a.csv", seconds=30)
    assert total == 6 and pid != os.getpid()  # the work did not run in this interpreter


def test_a_refusal_of_the_work_keeps_its_one_line():
    def refuse():
        raise geo.InputError("not a number", file="a.csv", row=3, column="count")
    with pytest.raises(geo.InputError) as caught:
        geo.within_budget(refuse, file="a.csv", seconds=30)
    assert str(caught.value) == "file a.csv, row 3, column 'count': not a number"


def test_work_beyond_the_budget_ends_with_one_line_naming_the_file_and_no_worker_left():
    with pytest.raises(geo.InputError) as caught:
        geo.within_budget(time.sleep, 600, file="big.csv", seconds=1)
    message = str(caught.value)
    assert message.startswith("file big.csv: this file needs more than 1 s to read") and "\n" not in message
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_is_reported_not_waited_for():
    with pytest.raises(geo.InputError, match="could not be read"):
        geo.within_budget(os._exit, 9, file="a.csv", seconds=30)


def test_a_bug_in_the_work_is_a_bug_not_the_users_fault():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        geo.within_budget(lambda: 1 / 0, file="a.csv", seconds=30)


def test_the_app_ends_an_upload_that_needs_too_long_and_keeps_the_page(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(streamlit_folium, "st_folium", rec.st_folium)
    monkeypatch.setattr(streamlit, "download_button", rec.download_button)
    monkeypatch.setattr(geo, "UPLOAD_SECONDS", 1)
    monkeypatch.setattr(geo, "read_table", lambda data, name: time.sleep(600))  # a reader that never ends
    from streamlit.testing.v1 import AppTest

    from tests.test_link import APP
    at = rec.at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    maps = len(rec.maps)
    at.file_uploader(key="upload_values").set_value(("slow.csv", "省份,数量\n北京,1\n".encode(), "text/csv")).run()
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]  # Markdown's escapes taken out
    assert len(errors) == 1 and errors[0].startswith("file slow.csv: this file needs more than 1 s to read")
    assert len(rec.maps) > maps  # the map was drawn after it
