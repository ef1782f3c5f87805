"""Real browser tests: the Debian ``chromium`` driven headless by Playwright.

One Chromium serves all the browser tests (starting it costs seconds on a 2-core machine); each
test gets a browser context of its own: no cookies, the viewport it asks for (``viewport``:
desktop or a 375 px phone) and the language it runs in (``language``). Pages come from
pytest-django's ``live_server``; tests create their data through ``transactional_db`` so that the
server thread sees it.

Without Chromium the tests are skipped locally and fail in CI (``CI`` set). Playwright never
downloads a browser here: it launches the one at ``CHROMIUM``.
``BROWSER_SCREENSHOTS=DIR`` saves a full-page screenshot of each state a test names, to look at.
"""

import os
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone, translation
from django_otp.oath import totp
from playwright.sync_api import Locator, Page, expect, sync_playwright

from tests.factories import SeminarFactory

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
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
]
# The sizes every browser test runs at; ZOOMED adds a 1280x900 desktop window at 200 % and at
# 400 % zoom (640 and 320 CSS px wide: WCAG 1.4.4 and 1.4.10), for the tests that ask for them.
VIEWPORTS = {"desktop": (1280, 900), "phone": (375, 812)}
ZOOMED = {"zoom-200": (640, 450), "zoom-400": (320, 225)}
SIZES = VIEWPORTS | ZOOMED
# The languages every browser test runs in.
LANGUAGES = ["en", "es"]
# How long an element, a state (``expect``) and a page load may take on a busy 2-core machine.
WAIT_MS = 10_000
PAGE_LOAD_MS = 30_000


@pytest.fixture(scope="package")
def chromium(live_server):
    """The Chromium of the browser tests; it depends on ``live_server`` so that it is closed first.

    It lives as long as this package's tests rather than the whole session, and so does the
    switch below: the tests that follow keep Django's check.
    """
    if not Path(CHROMIUM).is_file():
        reason = (
            f"headless Chromium is not installed ({CHROMIUM} missing): apt-get install chromium"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API keeps its asyncio loop marked as running in this thread, and
        # Django refuses ORM calls from such a thread (SynchronousOnlyOperation). The tests'
        # queries run between Playwright's calls, never inside its loop: Django's documented
        # switch lets them through, for as long as the browser is open.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        expect.set_options(timeout=WAIT_MS)
        chrome = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield chrome
        chrome.close()
    # Chromium's kept-alive connections end with it. Let the live server's request threads finish
    # before the server stops sharing its in-memory database with them (they close it on exit).
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=WAIT_MS / 1000)


@pytest.fixture(params=LANGUAGES)
def language(request) -> str:
    return request.param


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    """``desktop`` and ``phone``; a test may ask for a ``ZOOMED`` size with ``parametrize``."""
    return request.param


class Browser:
    """A fresh page at one viewport and language, with the steps tests repeat."""

    def __init__(self, page: Page, *, language: str, viewport: str):
        self.page = page
        self.language = language
        self.viewport = viewport

    # Navigation

    def get(self, path: str) -> None:
        self.page.goto(path)

    @property
    def path(self) -> str:
        return self.page.evaluate("location.pathname")

    def loaded_after(self, action) -> None:
        """Run ``action`` (a click, Enter…) and wait until the next page has loaded."""
        with self.page.expect_navigation():
            action()

    def click(self, element: Locator) -> None:
        """Click ``element`` as a pointer would, where the screen shows it.

        On the phone, Chromium lays a page wider than the screen (the admin's tables) out in a
        layout viewport larger than the screen, which shows one part of it. Playwright's click
        then aims at the middle of the whole element, which may be off the screen, and checks
        what lies under the pointer at the wrong spot. There the pointer goes to the middle of
        the element's part on the screen instead (WebDriver's in-view centre point).
        """
        if not self.page.evaluate("window.innerWidth > window.visualViewport.width"):
            element.click()
            return
        expect(element).to_be_enabled()
        element.scroll_into_view_if_needed()
        box = element.bounding_box()
        width, height = self.page.evaluate(
            "[window.visualViewport.width, window.visualViewport.height]"
        )
        x = (max(box["x"], 0) + min(box["x"] + box["width"], width)) / 2
        y = (max(box["y"], 0) + min(box["y"] + box["height"], height)) / 2
        self.page.mouse.click(x, y)

    def click_and_load(self, css: str) -> None:
        self.loaded_after(self.find(css).click)

    # Finding

    def find(self, css: str) -> Locator:
        """The first element ``css`` matches, in the page's order."""
        return self.page.locator(css).first

    def find_all(self, css: str) -> list[Locator]:
        return self.page.locator(css).all()

    def attribute(self, css: str, name: str) -> str | None:
        return self.find(css).get_attribute(name)

    def value(self, css: str) -> str:
        """What the field holds now (typed or sent back by the server)."""
        return self.find(css).input_value()

    @property
    def focused(self) -> Locator:
        return self.page.locator(":focus")

    def focused_id(self) -> str:
        return self.page.evaluate("document.activeElement.id")

    # Keyboard

    def press(self, key: str) -> None:
        """Press one key (``Tab``, ``Enter``, ``Space``…) on whatever has focus."""
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        """Type ``text`` key by key into whatever has focus, as a keyboard would."""
        self.page.keyboard.type(text)

    def tab_to(self, target: str | Locator, *, limit: int = 40) -> Locator:
        """Press Tab until ``target`` (an element or its id) has focus; each stop must show
        where focus is."""
        element = self.find(f"#{target}") if isinstance(target, str) else target
        for _ in range(limit):
            self.press("Tab")
            if element.evaluate("(e) => e === document.activeElement"):
                return element
            assert self.focus_visible(), f"no visible focus on {self.describe_focused()}"
        raise AssertionError(f"Tab never reached {target}")

    def describe_focused(self) -> str:
        return self.page.evaluate(
            "() => { const e = document.activeElement;"
            "return e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim()"
            ".slice(0, 40) }"
        )

    def focus_visible(self) -> bool:
        """The focused element draws a focus indicator: an outline or a box shadow."""
        outline_style, outline_width, box_shadow = self.page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            "return [s.outlineStyle, s.outlineWidth, s.boxShadow] }"
        )
        has_outline = outline_style != "none" and outline_width not in ("0px", "")
        return has_outline or box_shadow not in ("none", "")

    # Layout

    def horizontal_overflow(self) -> int:
        """Pixels the page is wider than the window (0 when nothing scrolls sideways)."""
        return self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")

    def text_lines(self, css: str) -> int:
        """How many lines the element's text takes."""
        return self.find(css).evaluate(
            "(e) => { const range = document.createRange();"
            "range.selectNodeContents(e);"
            "return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size }"
        )

    def sticking_out(self) -> list[str]:
        """The elements reaching past the window's right edge: what makes a page scroll sideways."""
        return self.page.evaluate(
            "() => { const out = [];"
            "for (const e of document.body.querySelectorAll('*')) {"
            "  const r = e.getBoundingClientRect();"
            "  if (r.width && r.right > window.innerWidth + 0.5)"
            "    out.push(e.tagName + (e.id ? '#' + e.id : '') + '.' + e.classList.value"
            "      + ' right=' + Math.round(r.right));"
            "}"
            "return out.slice(0, 8) }"
        )

    def in_viewport(self, element: Locator) -> bool:
        return element.evaluate(
            "(e) => { const r = e.getBoundingClientRect();"
            "return r.bottom > 0 && r.top < window.innerHeight }"
        )

    def screenshot(self, name: str) -> None:
        folder = os.environ.get("BROWSER_SCREENSHOTS")
        if folder:
            path = Path(folder) / f"{name}-{self.viewport}.png"
            self.page.screenshot(path=path, full_page=True)

    # Forms

    def type_into(self, css: str, text: str) -> None:
        self.find(css).fill(text)

    def check(self, element_id: str) -> None:
        """Tick a radio button or checkbox by its label, as a person would."""
        box = self.find(f"#{element_id}")
        if not box.is_checked():
            self.find(f"label[for='{element_id}']").click()
        expect(box).to_be_checked()

    def registration_fill(self, person: dict, *, day: int | None = None, sessions=()) -> None:
        """Fill the registration form: ``person`` maps field names to text; ``day`` is an index."""
        for name, value in person.items():
            self.type_into(f"#id_{name}", value)
        if day is not None:
            self.check(f"id_workshop_day_{day}")
        for session in sessions:
            self.check(self.session_input_id(session))

    def session_input_id(self, session) -> str:
        return self.attribute(f"input[name='sessions'][value='{session.pk}']", "id")

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
            self.loaded_after(lambda: self.press("Enter"))
        assert self.path == next_path


# axe-core as the pinned ``axe-playwright-python`` ships it.
AXE = Axe()


def axe_violations(browser: Browser) -> list[dict]:
    """Run axe-core on the whole page the browser shows; its violations, each with impact and
    the nodes at fault."""
    results = AXE.run(browser.page, options={"resultTypes": ["violations"]})
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [
                " ".join(map(str, node["target"])) + ": " + node["failureSummary"]
                for node in violation["nodes"]
            ],
        }
        for violation in results.response["violations"]
    ]


def gettext_in(language: str, message: str) -> str:
    """``message`` as the page shows it in ``language``."""
    with translation.override(language):
        return translation.gettext(message)


@pytest.fixture
def browser(chromium, live_server, transactional_db, language, viewport):
    width, height = SIZES[viewport]
    context = chromium.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        device_scale_factor=1,
        is_mobile=viewport == "phone",
        # The flag alone leaves Bootstrap's smooth scrolling on: a jump to a field would still
        # be under way when a test looks where it landed.
        reduced_motion="reduce",
    )
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(PAGE_LOAD_MS)
    # The language the visitor chose, as Django's LocaleMiddleware reads it.
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    yield Browser(context.new_page(), language=language, viewport=viewport)
    context.close()


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
