"""Browser tests: the app served on loopback, driven in Debian's headless Chromium through Playwright.

Each test gets a fresh page; when a test fails, a screenshot lands in test-output/<test name>/.
"""
import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = '/usr/bin/chromium'
OUTPUT = Path(__file__).resolve().parents[2] / 'test-output'


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f'report_{report.when}', report)
    return report


@pytest.fixture
def live_server(app, committed_db):
    """The app on a real HTTP port, sharing the committed database with the test."""
    server = make_server('127.0.0.1', 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_port}'
    server.shutdown()


@pytest.fixture(scope='session')
def browser():
    """Headless Chromium from Debian's package; never a downloaded browser."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get('CI'):
            pytest.fail(f'{CHROMIUM} is missing: install Debian\'s chromium package (.ci/run does)')
        pytest.skip(f'{CHROMIUM} is not installed (apt-get install chromium)')
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync'])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request, no_internet):
    """A fresh browser context and page; a screenshot is saved when the test fails."""
    yield from _page(browser, request)


@pytest.fixture
def nojs_page(browser, request, no_internet):
    """A page with JavaScript switched off, as on many cheap phones' data savers."""
    yield from _page(browser, request, java_script_enabled=False)


def _page(browser, request, **options):
    context = browser.new_context(locale='id-ID', timezone_id='Asia/Jakarta', **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    report = getattr(request.node, 'report_call', None)
    if report is not None and report.failed:
        folder = OUTPUT / re.sub(r'[^\w.-]+', '_', request.node.nodeid)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / 'failure.png'), full_page=True)
    context.close()
