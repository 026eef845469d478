"""The report and ``--serve`` in a real headless browser: Debian's Chromium through Selenium.

Debian's ``chromium`` and ``chromedriver`` packages (installed by ``.ci/run``)
are named explicitly, so Selenium never looks for or downloads a browser of
its own. Whether a script ran is read from ``window.__pwned``, which every
payload of the hostile dump would set; whether anything was fetched is read
from the browser's own network log and from a canary server the payloads
point at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import dump_of, need, run_python
from html_support import Canary, hostile_dump, serving

pytestmark = pytest.mark.heavy

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1200,1400")


def _chrome(profile: Path, javascript: bool = True):
    webdriver = need("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        message = f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        if os.environ.get("PYDUMPLING_HEAVY") == "1":
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if not javascript:
        options.add_argument("--blink-settings=scriptEnabled=false")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory):
    driver = _chrome(tmp_path_factory.mktemp("profile"))
    yield driver
    driver.quit()


@pytest.fixture
def browser(chrome):
    """The module's browser, its logs emptied of what earlier tests made it do."""
    chrome.get("about:blank")
    chrome.get_log("performance")
    chrome.get_log("browser")
    return chrome


def _by():
    return need("selenium.webdriver.common.by").By


def fetched(driver) -> list:
    """URLs the page loaded since the last call (``file:`` and ``data:`` excluded).

    A request the Content-Security-Policy blocked is announced to DevTools too,
    then fails with a ``blockedReason``: it never left the browser, so it is
    not counted here (the canary server checks that independently).
    """
    sent, blocked = {}, set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            sent[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
            blocked.add(params["requestId"])
    return [url for key, url in sent.items() if key not in blocked
            and not url.startswith(("file:", "data:", "chrome:", "about:"))]


def variable(driver, text: str):
    """The tree row of the variable whose line starts with ``text`` (``a = 1``)."""
    xpath = f"//li[@class='n'][starts-with(normalize-space(.), {json.dumps(text)})]"
    return driver.find_element(_by().XPATH, xpath)


def html_report(dump: Path, out: Path) -> str:
    result = run_python(["-m", "pydumpling_hook", str(dump), "--html", str(out)])
    assert result.returncode == 0, result.stderr
    return out.as_uri()


@pytest.fixture(scope="module")
def seed_url(readme_dump: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return html_report(readme_dump, tmp_path_factory.mktemp("report") / "seed.html")


def test_seed_report_shows_the_crash_without_a_click(browser, seed_url: str) -> None:
    browser.get(seed_url)
    By = _by()
    line = browser.find_element(By.CSS_SELECTOR, "details.frame[open] .line.cur")
    assert line.is_displayed() and line.text.endswith("c = a + b")
    assert variable(browser, "a = 1").is_displayed()
    assert variable(browser, "b = '2'").is_displayed()
    assert browser.find_element(By.ID, "q").is_displayed()  # the report's own script ran
    assert fetched(browser) == []


def test_a_click_opens_an_outer_frame(browser, seed_url: str) -> None:
    browser.get(seed_url)
    outer = variable(browser, "d = 4")
    assert not outer.is_displayed()
    summary = browser.find_element(
        _by().XPATH, "//details[contains(@class,'frame')]/summary[.//span[@class='fn'][.='outer']]")
    summary.click()
    assert outer.is_displayed()


def test_search_filters_variables(browser, seed_url: str) -> None:
    browser.get(seed_url)
    box = browser.find_element(_by().ID, "q")
    box.send_keys("'2'")
    assert variable(browser, "b = '2'").is_displayed()
    assert not variable(browser, "a = 1").is_displayed()
    assert browser.find_element(_by().ID, "hits").text == "1 variable"
    box.clear()
    box.send_keys("d")  # by name: only the outer frame has it, and search opens that frame
    assert variable(browser, "d = 4").is_displayed()
    assert not variable(browser, "a = 1").is_displayed()
    box.send_keys("\b")
    assert variable(browser, "a = 1").is_displayed()


def test_readable_without_javascript(seed_url: str, tmp_path: Path) -> None:
    driver = _chrome(tmp_path / "profile", javascript=False)
    try:
        driver.get(seed_url)
        assert variable(driver, "a = 1").is_displayed()
        assert variable(driver, "b = '2'").is_displayed()
        assert not driver.find_element(_by().ID, "search").is_displayed()
    finally:
        driver.quit()


def _open_everything(driver) -> None:
    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")


def test_hostile_dump_runs_nothing_and_fetches_nothing(browser, tmp_path: Path) -> None:
    with Canary() as canary:
        url = html_report(hostile_dump(tmp_path, canary.port), tmp_path / "hostile.html")
        browser.get(url)
        _open_everything(browser)
        browser.find_element(_by().ID, "q").send_keys("script")
        assert browser.execute_script("return typeof window.__pwned") == "undefined"
        assert "__pwned = 'script'" in browser.find_element(_by().TAG_NAME, "h1").text
        assert fetched(browser) == []
    assert canary.requests == []


def test_policy_stops_markup_that_escaping_missed(browser, seed_url: str, tmp_path: Path) -> None:
    """Defence in depth: markup pasted into a report as if escaping had failed stays inert."""
    with Canary() as canary:
        html = Path(seed_url[len("file://"):]).read_text(encoding="utf-8")
        evil = (f"<script>window.__pwned = 'inline'</script>"
                f"<img src='http://127.0.0.1:{canary.port}/img' onerror=\"window.__pwned='img'\">"
                f"<link rel=stylesheet href='http://127.0.0.1:{canary.port}/css'>")
        page = tmp_path / "tampered.html"
        page.write_text(html.replace("<body>", "<body>" + evil, 1), encoding="utf-8")
        browser.get(page.as_uri())
        assert browser.find_element(_by().ID, "q").is_displayed()  # ours still runs
        assert browser.execute_script("return typeof window.__pwned") == "undefined"
        assert fetched(browser) == []
        violations = [e["message"] for e in browser.get_log("browser")
                      if "Content Security Policy" in e["message"]]
        assert violations
    assert canary.requests == []


@pytest.fixture
def two_dumps(tmp_path: Path) -> Path:
    """Two crashes of the same site (the seed example, run twice)."""
    served = tmp_path / "served"
    served.mkdir()
    for name in ("a", "b"):
        dump = dump_of(tmp_path / name, "readme.py")
        shutil.copy(dump, served / dump.name)
    return served


def test_serve_lists_groups_and_opens(browser, two_dumps: Path, tmp_path: Path) -> None:
    By = _by()
    wait = need("selenium.webdriver.support.wait").WebDriverWait
    with serving(two_dumps) as (url, port, process):
        browser.get(url)
        rows = browser.find_elements(By.CSS_SELECTOR, "#dumps tr.row")
        assert len(rows) == 2 and all("TypeError" in r.text for r in rows)
        (group,) = browser.find_elements(By.CSS_SELECTOR, "#groups tr.row")
        assert "readme.py:4 in inner" in group.text
        assert group.find_element(By.CSS_SELECTOR, "td.num").text == "2"
        box = browser.find_element(By.ID, "filter")
        box.send_keys("no such crash")
        assert not any(r.is_displayed() for r in rows)
        box.clear()
        box.send_keys("typeerror")
        assert all(r.is_displayed() for r in rows)
        rows[0].find_element(By.TAG_NAME, "a").click()
        wait(browser, 30).until(lambda d: "/dump/" in d.current_url)
        assert variable(browser, "a = 1").is_displayed()
        line = browser.find_element(By.CSS_SELECTOR, "details.frame[open] .line.cur")
        assert line.text.endswith("c = a + b")
        assert [u for u in fetched(browser) if not u.startswith(url.split("?")[0])] == []


def test_serve_reloads_when_a_dump_arrives(browser, two_dumps: Path, tmp_path: Path) -> None:
    By = _by()
    wait = need("selenium.webdriver.support.wait").WebDriverWait
    with serving(two_dumps) as (url, port, process):
        browser.get(url)
        assert len(browser.find_elements(By.CSS_SELECTOR, "#dumps tr.row")) == 2
        dump_of(tmp_path / "late", "chains.py").rename(two_dumps / "late-IndexError.dump")
        wait(browser, 60).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "#dumps tr.row")) == 3)
        assert "IndexError" in browser.find_element(By.CSS_SELECTOR, "#groups").text


def test_serve_hostile_dump_runs_nothing(browser, tmp_path: Path) -> None:
    By = _by()
    with Canary() as canary:
        dump = hostile_dump(tmp_path, canary.port)
        with serving(dump.parent) as (url, port, process):
            browser.get(url)
            assert "__pwned" in browser.find_element(By.ID, "dumps").text
            browser.find_element(By.CSS_SELECTOR, "#dumps a").click()
            _open_everything(browser)
            assert browser.execute_script("return typeof window.__pwned") == "undefined"
            assert re.search(r"Boom|__pwned", browser.find_element(By.TAG_NAME, "h1").text)
            assert [u for u in fetched(browser) if not u.startswith(url.split("?")[0])] == []
    assert canary.requests == []
