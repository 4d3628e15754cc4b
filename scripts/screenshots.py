#!/usr/bin/env python3
"""Screenshots of Frikommune for docs/screenshots/: the case page, the inbox, the team view and
a decision letter.

    .venv/bin/python scripts/screenshots.py                  # starts the demo itself
    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8000   # a running demo

Without --url it builds the demo on a temporary SQLite database (migrate, seed_demo, the worker
once so the letters are written), serves it with the development server on a free port and
stops it afterwards; nothing of the project's own database or media is touched. With --url the
server must hold seed_demo's data (scripts/run.sh does).

Playwright drives Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH), never a downloaded
browser. The decision letter is the PDF the applicant gets, its first page rendered to PNG with
pdftoppm (Debian's poppler-utils); without pdftoppm, or while no PDF exists yet, the letter's
page is shown instead.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "frikommune-demo"  # noqa: S105 - seed_demo's documented demo-only password
OFFICER = "saksbehandler"
LEADER = "leder"
VIEWPORT = {"width": 1280, "height": 900}
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own local server)
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"The demo did not answer at {url} within {seconds:.0f} s.")


@contextmanager
def demo_server():
    """The demo on a temporary SQLite database and media folder, served on a free port."""
    with tempfile.TemporaryDirectory(prefix="frikommune-screenshots-") as folder:
        environment = {
            **os.environ,
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3",
            "MEDIA_ROOT": f"{folder}/media",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        quiet = {"cwd": ROOT, "env": environment, "check": True, "stdout": subprocess.DEVNULL}
        subprocess.run([*manage, "migrate", "--noinput"], **quiet)  # noqa: S603
        subprocess.run([*manage, "seed_demo"], **quiet)  # noqa: S603
        # The letters (and their PDFs) and the mails are tasks: run them once.
        subprocess.run(  # noqa: S603 (our own manage.py)
            [*manage, "db_worker", "--batch", "--no-startup-delay"],
            **quiet,
            stderr=subprocess.DEVNULL,
        )
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 (our own manage.py)
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_for(url + "/")
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


def _log_in(context, url: str, username: str):
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{url}/logg-inn/?next=/saksbehandling/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("main").locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/saksbehandling/$"))
    return page


def _links(page, pattern: str) -> list[str]:
    """The ids in this page's links that match ``pattern`` (one group), in page order."""
    hrefs = page.locator("a[href]").evaluate_all("nodes => nodes.map(n => n.pathname)")
    return list(dict.fromkeys(m.group(1) for h in hrefs if (m := re.fullmatch(pattern, h))))


def _open_cases(page, url: str) -> list[str]:
    """Cases with open tasks, from the officer's inbox through the task pages."""
    page.goto(f"{url}/saksbehandling/")
    cases = _links(page, r"/saksbehandling/saker/(\d+)/")
    for task in _links(page, r"/saksbehandling/oppgaver/(\d+)/")[:10]:
        page.goto(f"{url}/saksbehandling/oppgaver/{task}/")
        cases += _links(page, r"/saksbehandling/saker/(\d+)/")
    return list(dict.fromkeys(cases))


def _case_page(page, url: str, out: Path) -> None:
    """A case in consultation if the demo has one (the diagram is then half-way), else any."""
    cases = _open_cases(page, url)
    if not cases:
        raise SystemExit("No open case in the demo: run seed_demo.")
    for case in cases:
        page.goto(f"{url}/saksbehandling/saker/{case}/")
        if "høring" in page.locator("#status-heading").inner_text().lower():
            break
    else:
        page.goto(f"{url}/saksbehandling/saker/{cases[0]}/")
    _shot(page, out / "case-page.png", max_height=2600)


def _decided_cases(page, url: str) -> list[str]:
    """Decided cases, through the trials (each has its application's case)."""
    page.goto(f"{url}/saksbehandling/forsok/")
    cases = []
    for trial in _links(page, r"/saksbehandling/forsok/(\d+)/")[:5]:
        page.goto(f"{url}/saksbehandling/forsok/{trial}/")
        cases += _links(page, r"/saksbehandling/saker/(\d+)/")
    return list(dict.fromkeys(cases))


def _shot(page, path: Path, max_height: int = 1600) -> None:
    """The top of the page, at most ``max_height`` pixels (keeps the PNGs small)."""
    height = min(page.evaluate("document.documentElement.scrollHeight"), max_height)
    clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height}
    page.screenshot(path=str(path), full_page=True, clip=clip)
    print(f"{path.relative_to(ROOT)} ({path.stat().st_size // 1024} kB)")


def _letter(page, url: str, out: Path) -> None:
    """The first page of a decision letter's PDF as PNG; else the letter's page."""
    target = out / "decision-letter.png"
    for case in _decided_cases(page, url):
        letter_url = f"{url}/saksbehandling/saker/{case}/vedtak/"
        response = page.request.get(letter_url + "?format=pdf")
        if response.ok and shutil.which("pdftoppm"):
            with tempfile.TemporaryDirectory() as folder:
                pdf = Path(folder) / "letter.pdf"
                pdf.write_bytes(response.body())
                stem = Path(folder) / "page"
                render = ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"]
                subprocess.run([*render, str(pdf), str(stem)], check=True)  # noqa: S603
                shutil.copyfile(stem.with_suffix(".png"), target)
            print(f"{target.relative_to(ROOT)} ({target.stat().st_size // 1024} kB, from the PDF)")
            return
        if page.goto(letter_url).ok:
            _shot(page, target)
            return
    raise SystemExit("No decided application in the demo: run seed_demo.")


def take(url: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            officer = browser.new_context(locale="nb-NO", viewport=VIEWPORT)
            page = _log_in(officer, url, OFFICER)
            _shot(page, out / "inbox.png")
            _case_page(page, url, out)
            _letter(page, url, out)
            leader = browser.new_context(locale="nb-NO", viewport=VIEWPORT)
            page = _log_in(leader, url, LEADER)
            page.goto(f"{url}/saksbehandling/team/")
            _shot(page, out / "team-view.png")
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", help="a running demo (seed_demo's data), e.g. http://127.0.0.1:8000"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    options = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: install Debian's chromium package.")
    if options.url:
        take(options.url.rstrip("/"), options.out.resolve())
    else:
        with demo_server() as url:
            take(url, options.out.resolve())


if __name__ == "__main__":
    main()
