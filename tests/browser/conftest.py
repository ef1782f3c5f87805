"""Real browser tests: the Debian ``chromium`` driven headless by Selenium through ``chromedriver``.

One browser serves the whole session (starting Chromium costs seconds on a 2-core machine); each
test gets it back with no cookies, the viewport it asks for (``viewport``: desktop or a 375 px
phone) and the language it runs in (``language``). Pages come from pytest-django's
``live_server``; tests create their data through ``transactional_db`` so that the server thread
sees it.

Without Chromium or its driver the tests are skipped locally and fail in CI (``CI`` set).
Selenium Manager never runs: both paths are given, and ``SE_OFFLINE`` forbids downloads anyway.
``BROWSER_SCREENSHOTS=DIR`` saves a screenshot of each state a test names, to look at.
"""

import functools
import importlib.util
import os
import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone, translation
from django_otp.oath import totp
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from tests.factories import SeminarFactory

os.environ.setdefault("SE_OFFLINE", "true")

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = (
    os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
)
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Bootstrap scrolls smoothly otherwise, and a click lands where the element no longer is.
    "--force-prefers-reduced-motion",
)
# The sizes every browser test runs at; ZOOMED adds a 1280x900 desktop window at 200 % and at
# 400 % zoom (640 and 320 CSS px wide: WCAG 1.4.4 and 1.4.10), for the tests that ask for them.
VIEWPORTS = {"desktop": (1280, 900), "phone": (375, 812)}
ZOOMED = {"zoom-200": (640, 450), "zoom-400": (320, 225)}
SIZES = VIEWPORTS | ZOOMED
# The languages every browser test runs in.
LANGUAGES = ["en", "es"]
WAIT_SECONDS = 10


def _missing_binaries() -> list[str]:
    return [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).is_file()]


@pytest.fixture(scope="session")
def driver(live_server):
    """The session's Chromium; it depends on ``live_server`` so that it is closed first."""
    missing = _missing_binaries()
    if missing:
        reason = (
            f"headless Chromium is not installed ({', '.join(missing)} missing): "
            "apt-get install chromium chromium-driver"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1280,900")
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER, log_output=subprocess.DEVNULL)
    chrome = webdriver.Chrome(options=options, service=service)
    chrome.set_page_load_timeout(30)
    chrome.set_script_timeout(30)
    yield chrome
    chrome.quit()
    # Chromium's kept-alive connections end with it. Let the live server's request threads finish
    # before the server stops sharing its in-memory database with them (they close it on exit).
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=WAIT_SECONDS)


@pytest.fixture(params=LANGUAGES)
def language(request) -> str:
    return request.param


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    """``desktop`` and ``phone``; a test may ask for a ``ZOOMED`` size with ``parametrize``."""
    return request.param


class Browser:
    """The session's Chromium at one viewport and language, with the steps tests repeat."""

    def __init__(self, driver, *, base_url: str, language: str, viewport: str):
        self.driver = driver
        self.base_url = base_url
        self.language = language
        self.viewport = viewport
        self.wait = WebDriverWait(driver, WAIT_SECONDS)

    # Navigation

    def get(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    @property
    def path(self) -> str:
        return self.driver.execute_script("return location.pathname")

    def loaded_after(self, action) -> None:
        """Run ``action`` (a click, Enter…) and wait until the next page has loaded."""
        self.driver.execute_script("window.browserTestOldPage = true")
        action()
        # Asked mid-navigation, chromedriver may answer with an error: ask again until the new
        # document (without the mark) has loaded.
        WebDriverWait(self.driver, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(
            lambda d: d.execute_script(
                "return !window.browserTestOldPage && document.readyState === 'complete'"
            )
        )

    def click_and_load(self, css: str) -> None:
        self.loaded_after(self.find(css).click)

    # Finding

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def attribute(self, css: str, name: str) -> str | None:
        return self.find(css).get_attribute(name)

    @property
    def focused(self) -> WebElement:
        return self.driver.switch_to.active_element

    def focused_id(self) -> str:
        return self.focused.get_attribute("id") or ""

    # Keyboard

    def press(self, *keys: str) -> None:
        """Send keys to whatever has focus, as a keyboard would."""
        self.focused.send_keys(*keys)

    def tab_to(self, target: str | WebElement, *, limit: int = 40) -> WebElement:
        """Press Tab until ``target`` (an element or its id) has focus; each stop must show
        where focus is."""
        element = self.find(f"#{target}") if isinstance(target, str) else target
        for _ in range(limit):
            self.press(Keys.TAB)
            if self.focused == element:
                return element
            assert self.focus_visible(), f"no visible focus on {self.describe_focused()}"
        raise AssertionError(f"Tab never reached {target}")

    def describe_focused(self) -> str:
        return self.driver.execute_script(
            "const e = document.activeElement;"
            "return e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim()"
            ".slice(0, 40)"
        )

    def focus_visible(self) -> bool:
        """The focused element draws a focus indicator: an outline or a box shadow."""
        style = self.driver.execute_script(
            "const s = getComputedStyle(document.activeElement);"
            "return [s.outlineStyle, s.outlineWidth, s.boxShadow]"
        )
        outline_style, outline_width, box_shadow = style
        has_outline = outline_style != "none" and outline_width not in ("0px", "")
        return has_outline or box_shadow not in ("none", "")

    # Layout

    def horizontal_overflow(self) -> int:
        """Pixels the page is wider than the window (0 when nothing scrolls sideways)."""
        return self.driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )

    def text_lines(self, css: str) -> int:
        """How many lines the element's text takes."""
        return self.driver.execute_script(
            "const range = document.createRange();"
            "range.selectNodeContents(arguments[0]);"
            "return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size",
            self.find(css),
        )

    def sticking_out(self) -> list[str]:
        """The elements reaching past the window's right edge: what makes a page scroll sideways."""
        return self.driver.execute_script(
            "const out = [];"
            "for (const e of document.body.querySelectorAll('*')) {"
            "  const r = e.getBoundingClientRect();"
            "  if (r.width && r.right > window.innerWidth + 0.5)"
            "    out.push(e.tagName + (e.id ? '#' + e.id : '') + '.' + e.classList.value"
            "      + ' right=' + Math.round(r.right));"
            "}"
            "return out.slice(0, 8)"
        )

    def in_viewport(self, element: WebElement) -> bool:
        return self.driver.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            "return r.bottom > 0 && r.top < window.innerHeight",
            element,
        )

    def screenshot(self, name: str) -> None:
        folder = os.environ.get("BROWSER_SCREENSHOTS")
        if not folder:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        # The whole page, not only the window: stretch the viewport to the page's height.
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        width, window_height = SIZES[self.viewport]
        self.viewport_set(width, max(window_height, height))
        self.driver.save_screenshot(str(Path(folder) / f"{name}-{self.viewport}.png"))
        self.viewport_set(width, window_height)

    def viewport_set(self, width: int, height: int) -> None:
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width,
                "height": height,
                "deviceScaleFactor": 1,
                "mobile": self.viewport == "phone",
            },
        )

    # Forms

    def type_into(self, css: str, text: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def check(self, element_id: str) -> None:
        """Tick a radio button or checkbox by its label, as a person would."""
        box = self.find(f"#{element_id}")
        if not box.is_selected():
            self.find(f"label[for='{element_id}']").click()
        assert box.is_selected()

    def registration_fill(self, person: dict, *, day: int | None = None, sessions=()) -> None:
        """Fill the registration form: ``person`` maps field names to text; ``day`` is an index."""
        for name, value in person.items():
            self.type_into(f"#id_{name}", value)
        if day is not None:
            self.check(f"id_workshop_day_{day}")
        for session in sessions:
            self.check(self.session_input_id(session))

    def session_input_id(self, session) -> str:
        return self.find(f"input[name='sessions'][value='{session.pk}']").get_attribute("id")

    def registration_submit(self) -> None:
        self.click_and_load("#registration-form [type=submit]")

    def log_in(self, username: str, password: str, *, next_path: str, device=None) -> None:
        """Sign in through the admin's login page, as staff do, and land on ``next_path``.

        With a TOTP ``device`` (``STAFF_OTP_REQUIRED`` on), the code its authenticator app
        would show now goes into the login form's code field as well.
        """
        self.get(next_path)
        if "/admin/login/" in self.path:
            self.type_into("#id_username", username)
            self.type_into("#id_password", password)
            if device is not None:
                code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
                self.type_into("#id_otp_token", f"{code:0{device.digits}d}")
            self.loaded_after(lambda: self.press(Keys.ENTER))
        assert self.path == next_path


@functools.cache
def axe_source() -> str:
    """axe-core as shipped in the pinned ``axe-playwright-python`` wheel (the file, not the API)."""
    spec = importlib.util.find_spec("axe_playwright_python")
    assert spec is not None, "axe-playwright-python is missing: pip install -r requirements.txt"
    folder = Path(next(iter(spec.submodule_search_locations)))
    return (folder / "axe.min.js").read_text(encoding="utf-8")


AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  (results) => done({
    version: axe.version,
    violations: results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary),
    })),
  }),
  (error) => done({error: String(error)}),
);
"""


def axe_violations(browser: "Browser") -> list[dict]:
    """Run axe-core on the page the browser shows; its violations, each with impact and nodes."""
    driver = browser.driver
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe_source())
    result = driver.execute_async_script(AXE_RUN)
    assert "error" not in result, result
    return result["violations"]


def gettext_in(language: str, message: str) -> str:
    """``message`` as the page shows it in ``language``."""
    with translation.override(language):
        return translation.gettext(message)


@pytest.fixture
def browser(driver, live_server, transactional_db, language, viewport) -> Browser:
    width, height = SIZES[viewport]
    page = Browser(driver, base_url=live_server.url, language=language, viewport=viewport)
    page.viewport_set(width, height)
    driver.delete_all_cookies()
    # The language the visitor chose, as Django's LocaleMiddleware reads it; cookies need a page.
    driver.get(live_server.url + "/healthz")
    driver.add_cookie({"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "path": "/"})
    return page


PERSON = {
    "account_number": "",
    "first_name": "María",
    "last_name": "González",
    "email": "maria.gonzalez@maquila.example",
    "job_title": "Supply chain security manager",
    "phone": "+52 664 555 0100",
}


@pytest.fixture
def person(company) -> dict:
    """What a registrant types into the form, for ``company``."""
    return PERSON | {"account_number": company.account_number}


def seminar_running():
    """A seminar whose first (plenary) day is today, with no workshop day today: the door opens."""
    now = timezone.now()
    return SeminarFactory(
        starts_at=now,
        ends_at=now + timedelta(days=2),
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=1),
    )


@pytest.fixture
def running_seminar(db):
    return seminar_running()


@pytest.fixture
def staff_user(db):
    """``staff_user("add_checkin", …)``: a staff account with those rights; (name, password)."""

    def make(*codenames: str, username: str = "desk") -> tuple[str, str]:
        password = "browser-test-password"
        user = get_user_model().objects.create_user(username, password=password, is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        return username, password

    return make
