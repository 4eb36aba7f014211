#!/usr/bin/env python3
"""The dashboard in a real browser: Debian's chromium, headless, driven by Selenium through /usr/bin/chromedriver,
against a real `declutterd serve` and `declutterd sandbox` on loopback.

It uploads photos (so that every image on the pages is served by the daemon itself: the machine has no internet),
waits for the first generation to be archived, then checks: every page loads with no console error and no failed
request; the list shows the seeded generations; the detail page's before and after images are really loaded
(naturalWidth > 0); the slider moves; a generation submitted while the list is open appears in it and changes
state there without a reload; the refresh button makes a retrieval call. It saves screenshots under the build
folder and prints their paths.

Usage: scripts/check_dashboard.py [path/to/declutterd] [--screenshots DIR]
"""

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import urllib.request
import zlib

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import daemon  # noqa: E402
from lib.paths import ROOT  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.processes import stop_or_kill  # noqa: E402
from lib.waiting import answers_200, wait_for  # noqa: E402

KEY = "dashboard-key"
USER = "00000000-0000-4000-8000-00000000da5b"
# How long any one wait for the browser or the daemon may take: far more than either needs on a loaded machine,
# so that only something that never happens reaches it.
PATIENCE = 120

# Run before each page's own scripts (through DevTools, so the CSP does not apply): counts the page's event streams
# as they connect or fail, so that the check waits for that instead of for a while. The streams are app.js's own.
WATCH_EVENT_STREAMS = """
(function () {
  var streams = window.checkEventStreams = { created: 0, opened: 0, failed: 0 };
  var Original = window.EventSource;
  if (!Original) return;
  function Watched(url, options) {
    var source = new Original(url, options), settled = false;
    streams.created++;
    source.addEventListener('open', function () { if (!settled) { settled = true; streams.opened++; } });
    source.addEventListener('error', function () { if (!settled) { settled = true; streams.failed++; } });
    return source;
  }
  Watched.prototype = Original.prototype;
  window.EventSource = Watched;
})();
"""


def png(width, height, seed):
    """A real RGB PNG: a gradient, different for each seed."""
    rows = b"".join(b"\x00" + bytes(value for x in range(width) for value in (x * 255 // width, y * 255 // height, seed * 97 % 256))
                    for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def request(method, url, body=None, content_type="application/json"):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    headers = {"Content-Type": content_type} if data is not None else {}
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers), timeout=30) as response:
        return json.loads(response.read() or b"{}")


class Servers:
    def __init__(self, binary, work):
        self.work = work
        sandbox_port, callbacks, local = free_port(), free_port(), free_port()
        self.sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        self.base = f"http://127.0.0.1:{local}"
        self.sandbox = daemon.start_sandbox(binary, work, sandbox_port, [
            "--api-key", KEY, "--user-id", USER, "--start-ms", "300", "--min-completion-ms", "2500", "--max-completion-ms", "3500",
            "--image-size", "320x240"], PATIENCE)
        settings = {
            "DECLUTTERD_ARCHIVE_ALLOW_PRIVATE": "true",
            # A callback the sandbox gave up on (it waits 10 s, and never retries) is polled for instead of after the
            # default 10 minutes; callbacks come within a few seconds, so polls only rescue a lost one.
            "DECLUTTERD_POLLING_CALLBACK_GRACE": "30s",
            "DECLUTTERD_POLLING_INITIAL_INTERVAL": "5s",
            "DECLUTTERD_POLLING_MAX_INTERVAL": "5s",
        }
        environment = daemon.environment(work, os.path.join(work, "declutterd.sqlite"), callbacks, local, api_key=KEY, user_id=USER,
                                         upstream=self.sandbox_url, extra=settings)
        self.serve = subprocess.Popen([binary, "serve"], env=environment, stdout=subprocess.DEVNULL,
                                      stderr=open(os.path.join(work, "serve.log"), "w"), stdin=subprocess.DEVNULL)
        wait_for(lambda: answers_200(self.base + "/readyz", timeout=10), PATIENCE, "declutterd serve")

    def upload(self, seed):
        return request("POST", self.base + "/v1/generations?auto=true", png(320, 240, seed), content_type="image/png")

    def generation(self, row):
        return request("GET", f"{self.base}/v1/generations/{row}")

    def retrieval_calls(self):
        return request("GET", self.sandbox_url + "/sandbox/counters")["retrieval_calls"]

    def stop(self):
        for process in (self.serve, self.sandbox):
            stop_or_kill(process, 20)


def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_EVENT_STREAMS})
    return driver


def until(driver, condition):
    """The first truthy value of `condition(driver)`, None if there is none within PATIENCE seconds."""
    try:
        return WebDriverWait(driver, PATIENCE).until(condition)
    except TimeoutException:
        return None


class Check:
    def __init__(self, driver, base):
        self.driver, self.base, self.failures = driver, base, []

    def expect(self, condition, what):
        print(("ok    " if condition else "FAIL  ") + what)
        if not condition:
            self.failures.append(what)

    def problems(self):
        """Console errors and failed requests (Chrome logs a failed load as a SEVERE console entry) since the last call."""
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]

    def streams_settled(self):
        """Every event stream the page opened has connected or failed: the last request a page makes by itself."""
        streams = self.driver.execute_script("return window.checkEventStreams")
        return streams["opened"] + streams["failed"] >= streams["created"]

    def load(self, path):
        self.driver.get(self.base + path)
        # `complete`: the images loaded or failed, and app.js (deferred) has run. Then its event stream, if the
        # page has one, connected or failed: a failure is what this waits to see, so it waits for the outcome.
        loaded = until(self.driver, lambda d: d.execute_script("return document.readyState") == "complete" and self.streams_settled())
        failed_streams = self.driver.execute_script("return window.checkEventStreams.failed")
        problems = self.problems() + ([] if loaded else [f"not loaded within {PATIENCE} s"]) + \
            ([f"{failed_streams} event stream(s) failed"] if failed_streams else [])
        self.expect(not problems, f"{path}: loads with no console error and no failed request {problems if problems else ''}")
        self.expect(bool(self.driver.title) and self.driver.find_elements(By.CSS_SELECTOR, "main"), f"{path}: has a title and a main landmark")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", nargs="?", default=os.path.join(ROOT, ".build/debug/declutterd"))
    parser.add_argument("--screenshots", default=os.path.join(ROOT, ".build/dashboard-screenshots"))
    options = parser.parse_args()
    os.makedirs(options.screenshots, exist_ok=True)
    work = tempfile.mkdtemp(prefix="declutterd-dashboard-")
    servers = Servers(options.binary, work)
    driver = None
    try:
        seeded = [servers.upload(seed)["id"] for seed in (1, 2, 3)]
        request("POST", servers.base + "/v1/endpoints", {"url": "http://127.0.0.1:9/hook", "description": "the check's app"})
        first = seeded[0]
        wait_for(lambda: all(entry.get("state") == "archived" for entry in servers.generation(first).get("archive") or [{}]),
                 PATIENCE, "the first generation's results archived")
        driver = browser()
        check = Check(driver, servers.base)

        for path in ("/", "/generations", f"/generations/{first}", "/endpoints"):
            check.load(path)
            if path in ("/", f"/generations/{first}"):
                name = os.path.join(options.screenshots, "overview.png" if path == "/" else "generation.png")
                driver.save_screenshot(name)
                print(f"screenshot: {name}")

        check.load("/generations")
        rows = {row.get_attribute("data-generation-id") for row in driver.find_elements(By.CSS_SELECTOR, "#generations tr[data-generation-id]")}
        check.expect({str(row) for row in seeded} <= rows, f"the list shows the seeded generations {seeded} (rows: {sorted(rows)})")

        # Live: a generation submitted while the list is open appears, then changes state, without a reload. The
        # stream starts at the next message committed, so the upload waits for it to be connected (load did).
        driver.execute_script("window.notReloaded = true")
        live = servers.upload(4)["id"]
        selector = f"#generations tr[data-generation-id='{live}']"
        check.expect(until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, selector)),
                     f"generation {live}, submitted while the list was open, appears in it")
        check.expect(until(driver, lambda d: d.find_element(By.CSS_SELECTOR, selector).get_attribute("data-status") == "SUCCEEDED")
                     and driver.execute_script("return window.notReloaded === true"), f"its row turns SUCCEEDED without a reload")

        check.load(f"/generations/{first}")
        until(driver, lambda d: d.execute_script(
            "return ['before', 'after'].every(id => { const i = document.getElementById(id); return i && i.complete; })"))
        widths = driver.execute_script("return ['before', 'after'].map(id => document.getElementById(id).naturalWidth)")
        check.expect(all(width > 0 for width in widths), f"before and after images really loaded (naturalWidth {widths})")
        compare = driver.find_element(By.ID, "compare")
        slider = driver.find_element(By.ID, "slider")
        looks = lambda: (compare.get_attribute("style"), driver.find_element(By.ID, "after").get_attribute("style"), slider.get_attribute("value"))
        before = looks()
        slider.send_keys(Keys.HOME)
        for _ in range(5):
            slider.send_keys(Keys.ARROW_RIGHT)
        moved = lambda: looks()[:2] != before[:2] and looks()[2] != before[2]
        until(driver, lambda d: moved())  # read once the page has reacted (its input handler), not at once
        after = looks()
        check.expect(before[:2] != after[:2] and before[2] != after[2], f"the slider moves the comparison ({before} → {after})")

        calls = servers.retrieval_calls()
        driver.find_element(By.ID, "refresh").click()
        # The page's answer to the click, its notice once the POST returned (the call made by then, and any error
        # of the action logged), rather than a while.
        notice = driver.find_element(By.ID, "notice")
        answer = until(driver, lambda d: notice.text if notice.text.startswith("Refreshed") or notice.get_attribute("class") == "error"
                       else None) or notice.text
        check.expect(answer.startswith("Refreshed") and servers.retrieval_calls() > calls,
                     f"the refresh button makes a retrieval call (notice: {answer!r})")
        problems = check.problems()
        check.expect(not problems, f"no console error after the actions {problems if problems else ''}")

        # At phone width: the list, for people to look at.
        driver.set_window_size(390, 844)
        check.load("/generations")
        name = os.path.join(options.screenshots, "generations-phone.png")
        driver.save_screenshot(name)
        print(f"screenshot: {name}")
        check.expect(driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
                     "at phone width (390 px) nothing scrolls sideways")

        if check.failures:
            sys.exit(f"{len(check.failures)} dashboard check(s) failed")
        print("dashboard: every check passed")
    finally:
        if driver:
            driver.quit()
        servers.stop()


if __name__ == "__main__":
    main()
