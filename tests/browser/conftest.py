"""Browser tests: Playwright (Python) driving Debian's Chromium against a live server.

Never a downloaded browser: Chromium is /usr/bin/chromium from apt (`make browser-deps`), and
the pytest-playwright plugin is not used (it pulls pytest-base-url, which warns on pytest 9).
Without that Chromium every test here is skipped with the reason shown; when the CI variable is
set it is an error instead, so CI cannot pass by skipping.

Scopes:
- `browser`: one Chromium per session (launching costs about half a second).
- `live_server`: one app, database and server per test *module*. Tests write (each sign-in
  goes to the audit log; journeys file cases and requests), so every module starts from the
  pristine demo registry of `flask seed --demo` and never sees another module's writes.
  Seeding takes about two seconds: cheap per module, too dear per test. Tests within a module
  share the server, so each must pass whatever its neighbours wrote and in any order (look
  rows up by what the test itself made, do not count rows).
- `page`: a fresh browser context per test (no cookies; language zh-CN). Every request not
  for the live server is aborted and recorded; at teardown the test fails if there was any, or
  if the page logged a script error or a Content-Security-Policy violation.
"""

import os
import threading
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from registry import create_app, jobs
from registry.extensions import db
from registry.services import seeding
from tests.browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MISSING_CHROMIUM,
    LiveServer,
    PageWatch,
    demo_logins,
    is_noise,
    path_of,
)
from tests.conftest import empty_tables

HERE = Path(__file__).resolve().parent
TIMEOUT_MS = 10_000  # a local page slower than this is broken, not slow


# -- collection: mark, and skip without Chromium (fail in CI) ---------------------------------

def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason=MISSING_CHROMIUM)
    for item in items:
        if HERE not in Path(item.path).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if not CHROMIUM.exists() and not os.environ.get("CI"):
            item.add_marker(skip)


# -- the live server -------------------------------------------------------------------------

def browser_config(url: str) -> dict:
    """A test app as close to production as tests allow: real CSRF, the pages' CSP."""
    return {"TESTING": True, "SECRET_KEY": "browser-tests", "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": True}


def build_demo_database() -> None:
    """The real migrations, then exactly what `flask seed --demo` loads (registry/cli.py)."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()
    seeding.load_reference_data()
    seeding.load_demo_registry()  # the command's defaults: 400 experts, seed 7
    db.session.commit()
    seeding.refresh_statistics()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    shared_url = os.environ.get("TEST_DATABASE_URL")
    url = shared_url or f"sqlite:///{tmp_path_factory.mktemp('browser') / 'registry.sqlite'}"
    app: Flask = create_app(browser_config(url))
    with app.app_context():
        build_demo_database()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}", demo_logins())
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            if shared_url:  # the other tests expect the shared database empty
                empty_tables()
            jobs.dispose(app)  # the Run form's DBOS client holds connections of its own
            db.engine.dispose()


# -- the browser -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():  # reached only when CI is set: elsewhere the tests were skipped
        pytest.fail(f"{MISSING_CHROMIUM} (CI is set: failing instead of skipping)",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context_options() -> dict:
    """Options of the test's browser context; override in a module for another language."""
    return {"locale": "zh-CN", "viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def page_watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(browser, live_server, page_watch, context_options):
    context = browser.new_context(**context_options)
    context.set_default_timeout(TIMEOUT_MS)
    origin = live_server.url

    def route(route):
        url = route.request.url
        if url == origin or url.startswith(origin + "/"):
            route.continue_()
        else:
            page_watch.blocked.append(f"{route.request.method} {url}")
            route.abort()

    def console(message):
        if "Content Security Policy" in message.text:
            page_watch.csp_violations.append(message.text)
        elif message.type == "error" and not is_noise(message.text):
            page_watch.console_errors.append(f"{message.text} at {message.location.get('url')}")

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", console)
    page.on("pageerror", lambda error: page_watch.page_errors.append(str(error)))
    yield page
    context.close()
    problems = page_watch.problems()
    assert not problems, "\n".join(problems)


@pytest.fixture
def sign_in(page, live_server):
    """sign_in("clerk.scia"), sign_in("expert"): through the real form and its CSRF token.

    Returns the page, on the start page the app sent the user to.
    """

    def as_user(login: str, password: str | None = None):
        email = live_server.logins.get(login, login)
        page.goto(live_server.link("/sign-in"))
        page.locator("#email").fill(email)
        page.locator("#password").fill(password or live_server.password)
        with page.expect_response(lambda response: response.request.method == "POST"
                                  and path_of(response) == "/sign-in") as posted:
            page.locator("main form button[type=submit]").click()
        if posted.value.status != 302:
            page.wait_for_load_state()
            pytest.fail(f"sign-in as {email} answered {posted.value.status}: "
                        f"{page.locator('main').inner_text()}")
        page.wait_for_url(lambda url: not url.startswith(live_server.link("/sign-in")))
        page.wait_for_load_state()
        return page

    return as_user
