#!/usr/bin/env python3
"""The dashboard in a real browser: Debian's chromium, headless, driven by Selenium through /usr/bin/chromedriver,
against a real `declutterd serve` and `declutterd sandbox` on loopback.

It uploads photos (so that every image on the pages is served by the daemon itself: the machine has no internet),
waits for the first generation to be archived, then checks: every page loads with no console error and no failed
request; the list shows the seeded generations; the detail page's before and after images are really loaded
(naturalWidth > 0); the slider moves; a generation submitted while the list is open appears in it and changes
state there without a reload; the refresh button makes a retrieval call.

Then a listing of three photos uploaded as one multipart form (kitchen.png, bath.png, hall.png): its page, opened
once every photo is launched and while the listing is still in progress (the sandbox takes seconds per generation),
follows the event stream without a reload until every photo is SUCCEEDED and the listing completed, with every
before and after image really loaded and the retry button disabled; the listings page has its row, whose link opens
it; the page's zip link downloads a valid zip with manifest.json and one file per archived result, named after
the photos (kitchen.png, kitchen-2.png, ...) and matching the manifest's SHA-256. It saves screenshots under the
build folder and prints their paths.

The daemon runs with local.auth = required: the check's own API calls send an admin key made with `declutterd keys
create`, and the browser logs in as people do, through a one-time link from `declutterd dashboard-link`. Before that,
`/` is the login-needed page; the link sets the session cookie (HttpOnly, SameSite=Strict) and lands on the overview,
and works once; every page above is then checked through that session (the event streams too). The Keys page lists the
key. Then sessions end as they should: a forged cookie is refused, so is a session whose expiry the store's clock has
passed (its expires_at moved into the past in the SQLite file), one logged out with the Log out button (its cookie,
sent again, gets 401), and one whose key is revoked with `declutterd keys revoke`.

Usage: scripts/check_dashboard.py [path/to/declutterd] [--screenshots DIR]
"""

import argparse
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import daemon  # noqa: E402
from lib.images import form, png  # noqa: E402
from lib.paths import ROOT  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.processes import stop_or_kill  # noqa: E402
from lib.waiting import answers_200, wait_for  # noqa: E402

KEY = "dashboard-key"
USER = "00000000-0000-4000-8000-00000000da5b"
# How long any one wait for the browser or the daemon may take: far more than either needs on a loaded machine,
# so that only something that never happens reaches it.
PATIENCE = 120
# The listing the check submits, and its photos: a file part each, in this order.
LISTING = "rooms-4711"
ROOMS = ("kitchen.png", "bath.png", "hall.png")
# The local API keys (local.auth = required): the one the check's calls and its browser use throughout, and a second
# one, revoked at the end to see its live session end.
ADMIN_KEY = "dashboard-check"
REVOKED_KEY = "dashboard-revoked"
SCOPES = "read,submit,admin"
SESSION_COOKIE = "declutterd_session"
# local.session_ttl's default: the cookie's Max-Age.
SESSION_TTL = 12 * 3600

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


def request(method, url, body=None, content_type="application/json", token=None):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    headers = {"Content-Type": content_type} if data is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers), timeout=30) as response:
        return json.loads(response.read() or b"{}")


def status_of(url, headers):
    """The status GET `url` answers with `headers` (an error status too)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Servers:
    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.database = os.path.join(work, "declutterd.sqlite")
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
            # Every page, /v1 route, event stream and /metrics needs a key or the dashboard's session cookie.
            "DECLUTTERD_LOCAL_AUTH": "required",
        }
        environment = daemon.environment(work, self.database, callbacks, local, api_key=KEY, user_id=USER,
                                         upstream=self.sandbox_url, extra=settings)
        self.serve = subprocess.Popen([binary, "serve"], env=environment, stdout=subprocess.DEVNULL,
                                      stderr=open(os.path.join(work, "serve.log"), "w"), stdin=subprocess.DEVNULL)
        wait_for(lambda: answers_200(self.base + "/readyz", timeout=10), PATIENCE, "declutterd serve")
        # Made on the store, while serve runs (the same database file): the token alone on stdout.
        self.token = self.create_key(ADMIN_KEY)

    def declutterd(self, *arguments):
        """The stdout of `declutterd ARGUMENTS` (a client or store command), stripped; exits with its stderr if it fails."""
        done = subprocess.run([self.binary, *arguments], env={"PATH": os.environ.get("PATH", ""), "HOME": self.work},
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=PATIENCE)
        if done.returncode != 0:
            command = " ".join(argument for argument in arguments[:2] if not argument.startswith("-"))  # never the token
            sys.exit(f"FAIL: declutterd {command} exited {done.returncode}: {done.stderr.strip()}")
        return done.stdout.strip()

    def create_key(self, name):
        return daemon.create_key(self.binary, self.work, self.database, name, SCOPES)

    def revoke_key(self, name):
        return self.declutterd("keys", "revoke", name, "--database-path", self.database)

    def dashboard_link(self, token):
        """A one-time login link, asked for with `token`."""
        return self.declutterd("dashboard-link", "--url", self.base, "--key", token)

    def expire_session(self, cookie):
        """Moves the session `cookie` opened past its expiry, as the store's clock would: the rows changed (1)."""
        db = sqlite3.connect(self.database, timeout=30)
        try:
            with db:
                return db.execute("UPDATE dashboard_sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE token_hash = ? AND kind = 'session'",
                                  (hashlib.sha256(cookie.encode()).hexdigest(),)).rowcount
        finally:
            db.close()

    def page_status(self, path, cookie):
        """What GET `path` answers a client (not the browser) sending the session cookie `cookie`."""
        return status_of(self.base + path, {"Cookie": f"{SESSION_COOKIE}={cookie}"})

    def api(self, method, path, body=None, content_type="application/json"):
        """The local API, with the check's admin key."""
        return request(method, self.base + path, body, content_type, token=self.token)

    def upload(self, seed):
        return self.api("POST", "/v1/generations?auto=true", png(320, 240, seed), content_type="image/png")

    def generation(self, row):
        return self.api("GET", f"/v1/generations/{row}")

    def submit_listing(self, reference, names):
        """POST /v1/listings as one form: `reference`, auto, and a PNG file part `photo` for each of `names`."""
        body, kind = form([("reference", reference), ("auto", "true")],
                          [("photo", name, "image/png", png(320, 240, 10 + seed)) for seed, name in enumerate(names)])
        return self.api("POST", "/v1/listings", body, content_type=kind)

    def listing(self, reference):
        return self.api("GET", f"/v1/listings/{reference}")

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

    def login_needed(self, what, open_page=None):
        """After `open_page` (default: opening /), the page is the login-needed one, and nothing failed but its 401."""
        (open_page or (lambda: self.driver.get(self.base + "/")))()
        shown = until(self.driver, lambda d: d.execute_script("return document.readyState") == "complete"
                      and d.find_elements(By.ID, "login-needed"))
        text = shown[0].text if shown else None
        # The page's own 401 is what it is. The login page, unlike the dashboard's (`<link rel="icon" href="data:,">`),
        # names no icon, so the browser asks for /favicon.ico: noted, not failed.
        page = self.driver.current_url
        problems, icon = [], []
        for problem in self.problems():
            if problem.startswith(page + " ") and "status of 401" in problem:
                continue
            (icon if problem.startswith(self.base + "/favicon.ico ") else problems).append(problem)
        if icon:
            print(f"note  {what}: the login page names no icon, so the browser asked for /favicon.ico ({icon[0].split('with a status of ')[-1]})")
        self.expect(shown and "declutterd dashboard-link" in text and not problems,
                    f"{what}: the login-needed page ({text!r} at {page}) {problems if problems else ''}")


def log_in(driver, check, servers, token, what):
    """Opens a fresh one-time link made with `token`: the browser lands on the overview. The link, and the session
    cookie's value."""
    link = servers.dashboard_link(token)
    driver.get(link)
    landed = until(driver, lambda d: d.current_url == servers.base + "/" and d.find_elements(By.CSS_SELECTOR, "body[data-page='overview']")
                   and d.execute_script("return document.readyState") == "complete" and check.streams_settled())
    problems = check.problems()
    check.expect(landed and link.startswith(servers.base + "/login?code=") and not problems,
                 f"{what}: its link from dashboard-link ({link.split('=')[0]}=...) lands on the overview at {driver.current_url} "
                 f"{problems if problems else ''}")
    cookie = driver.get_cookie(SESSION_COOKIE)
    return link, cookie["value"] if cookie else ""


def check_logging_in(driver, check, servers):
    """Before logging in, / is the login-needed page; the link logs the browser in, sets the cookie as it should,
    and works once."""
    check.login_needed("before logging in, /")
    link, _ = log_in(driver, check, servers, servers.token, f"logging in with key {ADMIN_KEY}")
    cookie = driver.get_cookie(SESSION_COOKIE) or {}
    lasts = cookie.get("expiry", 0) - time.time()
    check.expect(cookie.get("httpOnly") is True and cookie.get("sameSite") == "Strict" and cookie.get("path") == "/"
                 and SESSION_TTL - 600 < lasts <= SESSION_TTL + 60,
                 f"the browser holds {SESSION_COOKIE}: HttpOnly, SameSite=Strict, path /, for local.session_ttl "
                 f"(httpOnly {cookie.get('httpOnly')}, sameSite {cookie.get('sameSite')!r}, path {cookie.get('path')!r}, {lasts / 3600:.2f} h)")
    check.login_needed("the same link opened again", lambda: driver.get(link))
    check.load("/")
    check.expect(driver.find_elements(By.CSS_SELECTOR, "body[data-page='overview']"), "the session still opens / after that")


def check_keys_page(driver, check):
    check.load("/keys")
    rows = {row.get_attribute("data-key"): row for row in driver.find_elements(By.CSS_SELECTOR, "#keys tr[data-key]")}
    states = {name: row.get_attribute("data-state") for name, row in rows.items()}
    check.expect(all(states.get(name) == "active" for name in (ADMIN_KEY, REVOKED_KEY)),
                 f"/keys lists the keys {ADMIN_KEY} and {REVOKED_KEY}, active ({states})")
    cells = rows[ADMIN_KEY].find_elements(By.CSS_SELECTOR, ".used, .left") if ADMIN_KEY in rows else []
    check.expect(len(cells) == 2, f"its row has what the key used and has left ({[cell.text for cell in cells]})")


def check_sessions_end(driver, check, servers, revoked_token):
    """A forged session, an expired one, one logged out and one whose key is revoked are all refused."""
    # Expired: the store keeps the session's hash with its expiry; moved into the past, the cookie the browser still
    # holds opens nothing.
    cookie = (driver.get_cookie(SESSION_COOKIE) or {}).get("value", "")
    before = servers.page_status("/", cookie)
    changed = servers.expire_session(cookie)
    check.login_needed(f"a session past its expiry (GET / with its cookie answered {before} before; {changed} row expired), /")
    check.expect(before == 200 and changed == 1 and servers.page_status("/", cookie) == 401,
                 f"its cookie, sent again, gets 401 ({servers.page_status('/', cookie)})")

    # Forged: a cookie the daemon never gave.
    driver.delete_cookie(SESSION_COOKIE)
    driver.add_cookie({"name": SESSION_COOKIE, "value": "forged-" + os.urandom(16).hex(), "path": "/"})
    check.login_needed("a forged session cookie, /")
    driver.delete_cookie(SESSION_COOKIE)

    # Logged out with the button.
    _, cookie = log_in(driver, check, servers, servers.token, "logging in again")
    before = servers.page_status("/", cookie)
    check.login_needed("after the Log out button, the page it goes to", lambda: driver.find_element(By.ID, "logout").click())
    after = servers.page_status("/", cookie)
    check.expect(before == 200 and after == 401 and driver.get_cookie(SESSION_COOKIE) is None,
                 f"logged out, the cookie is gone from the browser and, sent again, gets 401 (200 before: {before}; after: {after})")

    # Revoked: the key that made the link ends its live session, and its own token.
    _, cookie = log_in(driver, check, servers, revoked_token, f"logging in with key {REVOKED_KEY}")
    before = servers.page_status("/", cookie)
    servers.revoke_key(REVOKED_KEY)
    check.login_needed(f"once {REVOKED_KEY} is revoked (GET / with its cookie answered {before} before), a reload of /",
                       lambda: driver.refresh())
    api = status_of(servers.base + "/v1/generations", {"Authorization": f"Bearer {revoked_token}"})
    check.expect(before == 200 and servers.page_status("/", cookie) == 401 and api == 401,
                 f"its session cookie and its token get 401 ({servers.page_status('/', cookie)}, /v1/generations {api})")


# Every before and after image of the listing's grid: [class, complete, naturalWidth] each.
GRID_IMAGES = """
return Array.from(document.querySelectorAll('#photos li.photo img.before, #photos li.photo img.after'))
  .map(function (image) { return [image.className, image.complete, image.naturalWidth]; });
"""


def check_listing(driver, check, servers, screenshots):
    """The listing pages and the zip, for a listing of ROOMS submitted as one form before its page is opened."""
    answer = servers.submit_listing(LISTING, ROOMS)
    check.expect(answer.get("state") == "in_progress" and [photo["name"] for photo in answer.get("photos", [])] == list(ROOMS),
                 f"listing {LISTING} of {len(ROOMS)} photos submitted as one form (state {answer.get('state')!r})")
    # Opened at once, while photos may still be queued: the page reads the listing again at each event, so a photo
    # launched after it opened is followed too.
    path = f"/listings/{LISTING}"
    check.load(path)
    opened = driver.execute_script(
        "return [document.getElementById('listing-state').textContent,"
        " Array.from(document.querySelectorAll('#photos li.photo')).map(p => p.getAttribute('data-status'))]")
    print(f"note  {path} opened with the listing {opened[0]}, its photos {opened[1]}"
          + ("" if opened[0] == "in_progress" else ": already ended, so nothing below was seen live"))
    driver.execute_script("window.notReloaded = true")
    photos = driver.find_elements(By.CSS_SELECTOR, "#photos li.photo")
    names = [photo.find_element(By.CSS_SELECTOR, "h2.photo-name").text for photo in photos]
    check.expect(names == list(ROOMS) and driver.find_element(By.ID, "listing").get_attribute("data-reference") == LISTING,
                 f"the listing's page shows {LISTING} with its photos in order ({names})")

    statuses = lambda d: [(photo.get_attribute("data-status"), photo.find_element(By.CSS_SELECTOR, ".status").text)
                          for photo in d.find_elements(By.CSS_SELECTOR, "#photos li.photo")]
    ended = until(driver, lambda d: all(status == ("SUCCEEDED", "SUCCEEDED") for status in statuses(d))
                  and d.find_element(By.ID, "listing-state").text == "completed")
    state = driver.find_element(By.ID, "listing-state")
    counts = driver.find_element(By.ID, "listing-counts").text
    check.expect(counts == f"{len(ROOMS)} done, 0 failed, 0 pending of {len(ROOMS)}", f"the counts follow too ({counts!r})")
    check.expect(ended and state.get_attribute("data-state") == "completed" and driver.execute_script("return window.notReloaded === true"),
                 f"without a reload, every photo turns SUCCEEDED and the listing completed "
                 f"(photos {statuses(driver)}, listing {state.text!r})")
    # img.after comes with the first archived result (a generation.archived message, which may follow the state).
    until(driver, lambda d: (lambda images: len(images) == 2 * len(ROOMS) and all(image[1] for image in images))(d.execute_script(GRID_IMAGES)))
    images = driver.execute_script(GRID_IMAGES)
    kinds = sorted(image[0] for image in images)
    check.expect(kinds == ["after"] * len(ROOMS) + ["before"] * len(ROOMS) and all(image[1] and image[2] > 0 for image in images),
                 f"every photo's before and after images really loaded ([class, complete, naturalWidth]: {images})")
    check.expect(not driver.find_element(By.ID, "retry").is_enabled(), "the retry button is disabled: nothing failed")
    problems = check.problems()
    check.expect(not problems, f"{path}: no console error and no failed request while it followed the listing {problems if problems else ''}")
    name = os.path.join(screenshots, "listing.png")
    driver.save_screenshot(name)
    print(f"screenshot: {name}")
    zip_link = driver.find_element(By.ID, "zip").get_attribute("href")

    check.load("/listings")
    rows = driver.find_elements(By.CSS_SELECTOR, f"#listings tr[data-reference='{LISTING}']")
    check.expect(len(rows) == 1 and rows[0].get_attribute("data-state") == "completed",
                 f"/listings has the row of {LISTING}, completed ({[row.get_attribute('data-state') for row in rows]})")
    links = rows[0].find_elements(By.CSS_SELECTOR, f"a[href='/listings/{LISTING}']") if rows else []
    check.expect(len(links) == 1, f"the row links to /listings/{LISTING}")
    if links:
        links[0].click()
        opened = until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"article#listing[data-reference='{LISTING}']")
                       and d.execute_script("return document.readyState") == "complete" and check.streams_settled())
        problems = check.problems()
        check.expect(opened and driver.current_url == servers.base + path and not problems,
                     f"its link opens {path} with no console error and no failed request (at {driver.current_url}) {problems if problems else ''}")

    # The zip holds what is archived: read once every result is.
    listing = wait_for(lambda: (lambda listing: listing if all(photo["images"] and all(image["state"] == "archived" for image in photo["images"])
                                                               for photo in listing["photos"]) else None)(servers.listing(LISTING)),
                       PATIENCE, f"every result of {LISTING} archived")
    expected = {"manifest.json"} | {os.path.splitext(photo["name"])[0] + ("" if index == 0 else f"-{index + 1}") + ".png"
                                    for photo in listing["photos"] for index in range(len(photo["images"]))}
    check.expect(zip_link == f"{servers.base}/v1/listings/{LISTING}/results.zip", f"a#zip links to the listing's results.zip ({zip_link})")
    with urllib.request.urlopen(urllib.request.Request(zip_link, headers={"Authorization": f"Bearer {servers.token}"}), timeout=30) as response:
        kind, data = response.headers.get("Content-Type"), response.read()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        broken = archive.testzip()
        files = sorted(archive.namelist())
        manifest = json.loads(archive.read("manifest.json")) if "manifest.json" in files else {}
        listed = {entry["name"]: entry["sha256"] for entry in manifest.get("files", [])}
        matching = all(hashlib.sha256(archive.read(name)).hexdigest() == listed.get(name) for name in files if name != "manifest.json")
    except (zipfile.BadZipFile, ValueError, KeyError) as error:
        broken, files, manifest, listed, matching = repr(error), [], {}, {}, False
    check.expect(kind == "application/zip" and broken is None, f"the zip link downloads a valid zip ({kind}, {len(data)} bytes, testzip {broken!r})")
    check.expect(set(files) == expected and len(files) == len(expected) and len(expected) > len(ROOMS) + 1,
                 f"it has manifest.json and one file per archived result, named after the photos ({files})")
    check.expect(set(listed) == expected - {"manifest.json"} and matching and manifest.get("missing") == [],
                 f"its manifest lists each file with its SHA-256, and nothing missing (missing: {manifest.get('missing')})")


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
        servers.api("POST", "/v1/endpoints", {"url": "http://127.0.0.1:9/hook", "description": "the check's app"})
        first = seeded[0]
        wait_for(lambda: all(entry.get("state") == "archived" for entry in servers.generation(first).get("archive") or [{}]),
                 PATIENCE, "the first generation's results archived")
        revoked_token = servers.create_key(REVOKED_KEY)
        driver = browser()
        check = Check(driver, servers.base)
        check_logging_in(driver, check, servers)

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

        check_listing(driver, check, servers, options.screenshots)
        check_keys_page(driver, check)

        # At phone width: the list, for people to look at.
        driver.set_window_size(390, 844)
        check.load("/generations")
        name = os.path.join(options.screenshots, "generations-phone.png")
        driver.save_screenshot(name)
        print(f"screenshot: {name}")
        check.expect(driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
                     "at phone width (390 px) nothing scrolls sideways")
        driver.set_window_size(1280, 1000)

        check_sessions_end(driver, check, servers, revoked_token)

        if check.failures:
            sys.exit(f"{len(check.failures)} dashboard check(s) failed")
        print("dashboard: every check passed")
    finally:
        if driver:
            driver.quit()
        servers.stop()


if __name__ == "__main__":
    main()
