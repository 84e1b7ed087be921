"""Hostile uploads against the running app, with a victim: while one browser session uploads each
hostile file, a second thread polls /_stcore/health and a second session switches views. Printed
per case: the upload's time to an answer (or its error line) and the victim's worst health latency.

    .venv/bin/python bench/bench_hostile.py --app [--port 8611] [--chromium /usr/bin/chromium]

Nothing is asserted (tests/ does that); the target is a victim under 1 s and every upload ended
within 10 s.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def hostile_uploads() -> list[tuple[str, str, bytes]]:
    """(id, file name, bytes): the slow-parse classes of the round, at a few hundred KB."""
    mixed = ("省份,数量,日期\n" + "北京" * 40_000 + "é,1,2025\n").encode() + "广东,2,2025\n".encode("gbk")
    stars = ("省份,数量,日期\n" + "".join(f"广东{'*' * 3000}x,1,2025\n" for _ in range(100))).encode()
    note = ("省份,数量,日期\n北京,1,2025\n注" + " " * 300_000 + "x\n").encode()
    digits = ("lon,lat\n" + "1" * 300_000 + "x,30\n").encode()
    return [("mixed_encodings", "mixed.csv", mixed), ("footnote_stars", "stars.csv", stars),
            ("note_spaces", "note.csv", note), ("long_digits", "points.csv", digits)]


def poll_health(url: str, stop: threading.Event, worst: list[float]) -> None:
    while not stop.is_set():
        t = time.perf_counter()
        try:
            urllib.request.urlopen(url + "_stcore/health", timeout=120).read()
        except OSError:
            pass
        worst[0] = max(worst[0], time.perf_counter() - t)
        time.sleep(0.1)


def main(port: int = 8611, chromium: str = "/usr/bin/chromium") -> None:
    from playwright.sync_api import sync_playwright
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true"],
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p, tempfile.TemporaryDirectory() as folder:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            attacker, victim = browser.new_page(), browser.new_page()
            for page in (attacker, victim):
                page.goto(url)
                page.wait_for_selector("[data-testid='stFileUploader'], section", timeout=120_000)
            print(f"{'case':18} {'upload s':>9} {'victim health worst s':>22} {'victim switch s':>16}  answer")
            for case, name, data in hostile_uploads():
                path = Path(folder) / name
                path.write_bytes(data)
                attacker.goto(url + "?v=value")
                attacker.get_by_role("tab").nth(4).click()
                stop, worst = threading.Event(), [0.0]
                poller = threading.Thread(target=poll_health, args=(url, stop, worst))
                poller.start()
                t = time.perf_counter()
                attacker.locator("input[type='file']").first.set_input_files(str(path))
                # the victim switches the language meanwhile (one rerun of its own session)
                s = time.perf_counter()
                victim.goto(url + ("?lang=zh" if case.endswith("s") else "?lang=en"))
                victim.wait_for_selector("[data-testid='stHeading'], h4", timeout=120_000)
                switched = time.perf_counter() - s
                attacker.wait_for_selector("[data-testid='stAlert'], [data-testid='stText'], "
                                           "[data-testid='stDataFrame']", timeout=120_000)
                took = time.perf_counter() - t
                stop.set()
                poller.join()
                answer = attacker.locator("[data-testid='stAlert']").first
                line = answer.inner_text()[:70].replace("\n", " ") if answer.count() else "read"
                print(f"{case:18} {took:9.2f} {worst[0]:22.2f} {switched:16.2f}  {line}")
            browser.close()
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
