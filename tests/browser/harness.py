"""What browser journeys import: the live server's handle, URLs with a language, screenshots.

Fixtures live in conftest.py; this module holds the plain code both it and the tests use.
"""

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask

from registry.extensions import db
from registry.services import seeding

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
MISSING_CHROMIUM = "Debian chromium not installed: make browser-deps"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# The documentation's pictures are committed: they are rewritten only when asked
# (UPDATE_DOCS_SCREENSHOTS=1), so a test run leaves the work tree clean.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" \
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") else SCREENSHOTS / "docs"
LANGUAGES = ("zh_Hans", "en")  # the app's locales, the default first
HTML_LANG = {"zh_Hans": "zh-Hans", "en": "en"}  # what <html lang> says for each


@dataclass
class LiveServer:
    app: Flask
    url: str                          # http://127.0.0.1:PORT, no trailing slash
    logins: dict[str, str]            # "clerk", "clerk.scia", "expert" ... -> email
    password: str = seeding.DEMO_PASSWORD

    @contextmanager
    def app_context(self) -> Iterator[None]:
        """Query the server's database from a test: `with live_server.app_context(): ...`."""
        with self.app.app_context():
            yield
            db.session.remove()

    def link(self, path: str, lang: str | None = None) -> str:
        """An absolute URL on this server, with `?lang=` when a language is given."""
        return with_lang(self.url + path, lang) if lang else self.url + path


def demo_logins() -> dict[str, str]:
    """The demo accounts by role (the first of each) and by the email's local part."""
    logins = {}
    for email, role, _scope in seeding.demo_logins():
        logins.setdefault(role, email)
        logins[email.split("@")[0]] = email
    return logins


@dataclass
class PageWatch:
    """What a page did that a test must not allow; checked when the test ends."""

    blocked: list[str] = field(default_factory=list)         # non-local requests attempted
    console_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [f"{what}: {found}" for what, found in (
            ("non-local requests attempted", self.blocked),
            ("Content-Security-Policy violations", self.csp_violations),
            ("script errors", self.page_errors),
            ("console errors", self.console_errors)) if found]


def is_noise(message: str) -> bool:
    """Chromium logs every 4xx response, including the refusals tests ask for on purpose."""
    return message.startswith(
        "Failed to load resource: the server responded with a status of 4")


def with_lang(url: str, lang: str) -> str:
    """The URL with `?lang=` set (replacing one already there)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("lang", lang)])))


def path_of(page) -> str:
    return urlsplit(page.url).path


def screenshot(page, name: str, directory: Path = SCREENSHOTS) -> Path:
    """A full-page PNG in artifacts/screenshots/NAME.png (git-ignored), for people to look at.

    `directory=DOCS_SCREENSHOTS` puts it in docs/screenshots/ instead, for the documentation.
    CSS transitions are run to their end first, so the picture shows the state they lead to.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def overflow_x(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def check_fits(page, fits_width: bool) -> None:
    if fits_width:
        wider = overflow_x(page)
        assert wider <= 0, f"{page.url} is {wider}px wider than the window"


def screenshot_languages(page, name: str, fits_width: bool = False,
                         status: int = 200) -> list[Path]:
    """The page now open, once per language: NAME.en.png, then NAME.zh_Hans.png.

    Switching goes through `?lang=`, which the app remembers in a cookie; the page is left in
    Chinese, the default, with the cookie saying so. With `fits_width`, a page wider than the
    window in either language fails the test. `status` is what the page answers (a refusal
    page is 403).
    """
    url = page.url
    paths = []
    for lang in (*LANGUAGES[1:], LANGUAGES[0]):
        response = page.goto(with_lang(url, lang))
        assert response.status == status, f"{page.url}: {response.status}"
        assert page.locator("html").get_attribute("lang") == HTML_LANG[lang]
        check_fits(page, fits_width)
        paths.append(screenshot(page, f"{name}.{lang}"))
    return paths


@contextmanager
def new_document(page, method: str = "POST", path: str | None = None):
    """Wait, around a click or submit, for its request and the document it brings.

    Yields the expected response (`.value`: the POST's own answer, a 302 for a redirect); on
    leaving, the new document has replaced the old one and has loaded (its scripts have run),
    even when the URL did not change, as for a form sent back with its error messages.
    """
    def answers(response) -> bool:
        return response.request.method == method and (path is None or path_of(response) == path)

    with page.expect_event("framenavigated", predicate=lambda frame: frame == page.main_frame), \
            page.expect_response(answers) as answered:
        yield answered
    page.wait_for_load_state()


def screenshot_form_languages(page, name: str, form: str = "main form", status: int = 422,
                              fits_width: bool = False) -> list[Path]:
    """A posted form's answer (its messages beside the inputs), once per language.

    `screenshot_languages` opens the URL again, which would show the form empty; this posts
    the form as it stands once more, to its URL with `?lang=`, and checks the answer's status
    (the default, 422: a form sent back with errors, so nothing was saved). Use it only where
    posting twice does nothing more. The page is left in Chinese, as that function leaves it;
    `fits_width` as there.
    """
    paths = []
    for lang in (*LANGUAGES[1:], LANGUAGES[0]):
        target = with_lang(page.url, lang)
        with new_document(page, path=urlsplit(target).path) as answered:
            page.locator(form).evaluate(
                "(form, url) => { form.action = url; form.requestSubmit(); }", target)
        assert answered.value.status == status, f"{target}: {answered.value.status}"
        assert page.locator("html").get_attribute("lang") == HTML_LANG[lang]
        check_fits(page, fits_width)
        paths.append(screenshot(page, f"{name}.{lang}"))
    return paths


def sign_out(page) -> None:
    """Sign out through the header's button, as a person does; the app shows the sign-in page."""
    with new_document(page, path="/sign-out") as answered:
        page.locator("header form[action='/sign-out'] button[type=submit]").click()
    assert answered.value.status == 302, f"sign-out answered {answered.value.status}"
    page.wait_for_url(lambda url: urlsplit(url).path == "/sign-in")


def download_csv(page, link) -> list[list[str]]:
    """Click a link to a CSV file and read what the browser downloaded (UTF-8, with or
    without a byte-order mark) as rows of cells."""
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.failure() is None, f"{download.url}: {download.failure()}"
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))
