"""Browser fixtures: the real server (``python -m cbec serve``) on a fresh SQLite file, driven
by a real headless Chromium through Playwright.

The whole browser session shares one seeded server, so tests compute the counts they expect
from the database or the API at the moment they check them, never from a hard-coded total.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse

import httpx2
import pytest
from playwright.sync_api import Browser, Page, Response, expect, sync_playwright

from cbec.config import Settings
from cbec.demo.generator import demo_enterprises
from cbec.registry.districts import load_districts
from cbec.registry.model import EnterpriseInput
from cbec.registry.spreadsheet import build_workbook

DEMO_PASSWORD: str = Settings.model_fields["demo_password"].default
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_S = 20.0
CLI_TIMEOUT_S = 60.0
ACTION_TIMEOUT_MS = 10_000
HANGZHOU, BINJIANG, XIHU = "330100", "330108", "330106"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class Server:
    base_url: str
    db_path: Path
    env: dict[str, str]
    workdir: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``python -m cbec ARGS`` against this server's database; fail the test on a non-zero exit."""
        done = subprocess.run(
            [sys.executable, "-m", "cbec", *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(
                f"`cbec {' '.join(args)}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}", pytrace=False
            )
        return done

    def scalar(self, sql: str, *params: object) -> object:
        """One value read straight from the server's SQLite file."""
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
            row = conn.execute(sql, params).fetchone()
        conn.close()
        return row[0] if row else None

    def count(self, sql: str, *params: object) -> int:
        value = self.scalar(sql, *params)
        assert isinstance(value, int)
        return value

    def usccs(self) -> set[str]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
            found = {row[0] for row in conn.execute("SELECT uscc FROM enterprises")}
        conn.close()
        return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_env(workdir: Path, db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    env |= {
        "CBEC_DATABASE_URL": f"sqlite:///{db_path}",
        "CBEC_DATA_DIR": str(workdir),
        "CBEC_SECRET_KEY": "browser-tests-secret-key-0123456789",
        "CBEC_DEMO_PASSWORD": DEMO_PASSWORD,
        "PYTHONUNBUFFERED": "1",
    }
    return env


def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"`cbec serve` exited with {process.returncode} before answering:\n{log.read_text(errors='replace')}",
                pytrace=False,
            )
        try:
            if httpx2.get(f"{base_url}/login", timeout=1.0).status_code == 200:
                return
            last_error = "/login did not answer 200"
        except httpx2.HTTPError as exc:
            last_error = repr(exc)
        time.sleep(0.1)
    process.kill()
    process.wait(timeout=10)
    pytest.fail(
        f"`cbec serve` did not answer /login within {START_TIMEOUT_S:.0f} s ({last_error}):\n"
        f"{log.read_text(errors='replace')}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A migrated, demo-seeded SQLite file served by ``python -m cbec serve`` on a free port."""
    workdir = tmp_path_factory.mktemp("server")
    db_path = workdir / "cbec.sqlite3"
    port = _free_port()
    srv = Server(f"http://127.0.0.1:{port}", db_path, _server_env(workdir, db_path), workdir)
    srv.cli("db", "upgrade")
    srv.cli("demo", "seed")
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cbec", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=srv.env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(process, srv.base_url, log)
        yield srv
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def admin_api(server: Server) -> Iterator[httpx2.Client]:
    """The JSON API as demo.admin (杭州市), with a token issued by the real CLI."""
    issued = server.cli("users", "token", "demo.admin", "--name", "browser-tests", "--json")
    token = json.loads(issued.stdout)["token"]
    with httpx2.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10.0) as client:
        yield client


def _api_total(client: httpx2.Client, **params: str) -> int:
    response = client.get("/api/v1/enterprises", params={"per_page": "1", **params})
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


@pytest.fixture(scope="session")
def api_total(admin_api: httpx2.Client) -> Callable[..., int]:
    """``api_total(district="330108")``: how many enterprises demo.admin's API listing counts now."""
    return lambda **params: _api_total(admin_api, **params)


def _chromium_path() -> str:
    path = os.environ.get("CBEC_CHROMIUM", "/usr/bin/chromium")
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {path!r}: the browser tests need a real Chromium. Install it "
            "(apt-get install chromium fonts-noto-cjk) or point CBEC_CHROMIUM at the binary. "
            "Do not run `playwright install`.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = _chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A fresh context per test (no cookies carried over): 1366×768, zh-CN."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", base_url=server.base_url)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def _submit_login(page: Page, username: str, password: str) -> Response:
    """Fill and submit the real sign-in form; returns the response the browser ended on."""
    if not page.url.split("?")[0].endswith("/login"):
        page.goto("/login")
    page.locator("main input[name=username]").fill(username)
    page.locator("main input[name=password]").fill(password)
    with page.expect_navigation() as navigation:
        page.locator("main form button[type=submit]").click()
    response = navigation.value
    assert response is not None
    return response


def _sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> Response:
    """Sign in through the form and check we land on /home."""
    page.goto("/login")
    response = _submit_login(page, username, password)
    assert response.status == 200, f"sign-in as {username} ended with HTTP {response.status}"
    assert urlparse(page.url).path == "/home", page.url
    return response


@pytest.fixture(scope="session")
def submit_login() -> Callable[[Page, str, str], Response]:
    """``submit_login(page, username, password)``: one submission of the real sign-in form."""
    return _submit_login


@pytest.fixture(scope="session")
def sign_in() -> Callable[..., Response]:
    """``sign_in(page, username)``: sign in through the real form (demo password) and land on /home."""
    return _sign_in


def wrong_check_character(uscc: str) -> str:
    return uscc[:17] + next(c for c in _USCC_ALPHABET if c != uscc[17])


@dataclass(frozen=True)
class ImportFile:
    content: bytes
    rows: list[EnterpriseInput]
    bad_rows: list[int]  # as the user sees them (header is row 1)

    @property
    def good_usccs(self) -> set[str]:
        return {r.uscc for n, r in enumerate(self.rows, start=2) if n not in self.bad_rows}


def _hangzhou_import_file(taken: set[str], *, count: int = 20, seed: int = 20250101) -> ImportFile:
    """``count`` new 杭州 enterprises (so a 杭州 administrator may import them) of which three rows
    are wrong: row 4 a bad USCC check character, row 11 the USCC of row 2 again, row 17 an
    unknown district."""
    fresh = [d for d in demo_enterprises(400, seed=seed) if d.city_code == HANGZHOU and d.uscc not in taken]
    assert len(fresh) >= count, "the generator gave too few new 杭州 enterprises"
    rows = [d.as_input() for d in fresh[:count]]
    rows[2] = replace(rows[2], uscc=wrong_check_character(rows[2].uscc))
    rows[9] = replace(rows[9], uscc=rows[0].uscc)
    rows[15] = replace(rows[15], district_code="999999")
    return ImportFile(build_workbook(rows, load_districts()), rows, [4, 11, 17])


@pytest.fixture
def import_file(server: Server) -> ImportFile:
    """A fresh 20-row 杭州 workbook (rows 4, 11 and 17 bad) whose USCCs are not yet stored."""
    return _hangzhou_import_file(server.usccs())
