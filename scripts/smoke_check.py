"""The requests of the production smoke (scripts/smoke.sh), against a running server.

    python scripts/smoke_check.py http://127.0.0.1:PORT [SERVER_PID]

Plays the TLS-terminating reverse proxy the server is configured to trust
(TRUSTED_PROXY_COUNT=1): every request carries ``X-Forwarded-Proto: https`` and
``X-Forwarded-For``. What a page must contain is read from the public API first (references,
titles, case numbers, acts of the demo data), so the checks follow the data. Prints one line per
check and exits 1 if any failed.
"""

import html
import http.client
import json
import os
import re
import sys
import time
import urllib.parse
from http.cookies import SimpleCookie

ONE_YEAR = 365 * 24 * 3600
CLIENT = "192.0.2.44"
PASSWORD = "frikommune-demo"  # noqa: S105 - the demo users' documented password


class Smoke:
    def __init__(self, base: str):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.origin = f"https://{parts.netloc}"
        self.cookies: dict[str, str] = {}
        self.failures: list[str] = []

    def request(self, path, *, method="GET", body=None, headers=None, proxy=True, sent_by=""):
        """``sent_by``: an X-Forwarded-For the client sent itself, which the proxy extends."""
        headers = dict(headers or {})
        if proxy:
            forwarded = f"{sent_by}, {CLIENT}" if sent_by else CLIENT
            headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": forwarded})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, content

    def check(self, label: str, condition: bool, detail: str = "") -> bool:
        print(f"{'ok  ' if condition else 'FAIL'} {label}{'' if condition else ': ' + detail}")
        if not condition:
            self.failures.append(label)
        return condition

    def page(self, path, *, contains=(), content_type="text/html", **kwargs) -> str:
        response, content = self.request(path, **kwargs)
        text = content.decode("utf-8", errors="replace")
        missing = [item for item in contains if item not in text]
        self.check(
            f"{path} answers 200 {content_type} with {len(contains)} expected item(s)",
            response.status == 200
            and response.headers.get("Content-Type", "").startswith(content_type)
            and not missing,
            f"{response.status} {response.headers.get('Content-Type')} missing {missing} "
            f"{text[:300]!r}",
        )
        return text

    def api(self, path) -> dict:
        text = self.page(path, contains=['"license"'], content_type="application/json")
        try:
            return json.loads(text)
        except ValueError:
            return {"results": []}

    def static(self, url: str, content_type: str) -> None:
        response, content = self.request(url, headers={"Accept-Encoding": "gzip"})
        cache_control = response.headers.get("Cache-Control", "")
        max_age = re.search(r"max-age=(\d+)", cache_control)
        self.check(
            f"{url} served with far-future caching",
            response.status == 200
            and response.headers.get("Content-Type", "").startswith(content_type)
            and bool(content)
            and ("immutable" in cache_control or (max_age and int(max_age[1]) >= ONE_YEAR)),
            f"{response.status} {response.headers.get('Content-Type')} {cache_control!r}",
        )


def wait_for_server(smoke: Smoke, server_pid: int | None, seconds: int = 240) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server_pid:
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                return smoke.check("the server is running", False, "serve.sh exited")
        try:
            smoke.request("/tilgjengelighet/")
            return smoke.check("the server answers", True)
        except OSError:
            time.sleep(0.5)
    return smoke.check("the server answers", False, f"nothing after {seconds} s")


def check_public_site(smoke: Smoke) -> None:
    applications = smoke.api("/api/v1/public/applications/?page_size=5")["results"]
    exemptions = smoke.api("/api/v1/public/exemptions/?page_size=50")["results"]
    journal = smoke.api("/api/v1/public/journal/?page_size=5")["results"]
    if not smoke.check("the public API lists demo data", bool(applications and journal)):
        return
    first = applications[0]
    title, reference = html.escape(first["title"]), first["reference"]
    act = next((row["act"] for row in exemptions if row.get("act")), None)
    smoke.check("the exemption register has an act", act is not None, repr(exemptions[:1]))

    home = smoke.page("/", contains=["Frikommune", "/static/css/frikommune."])
    smoke.page("/soknader/", contains=[title, f"/soknader/{reference}/"])
    smoke.page("/soknader/?q=" + urllib.parse.quote(first["title"].split()[0]), contains=[title])
    smoke.page(f"/soknader/{reference}/", contains=[title, reference])
    smoke.page("/journal/", contains=[html.escape(journal[0]["case_number"])])
    smoke.page("/unntak/", contains=[act or "?"])
    smoke.page(f"/unntak/{act}/", contains=[act or "?"])
    smoke.page("/statistikk/", contains=["<svg", "<table"])
    smoke.page("/kommuner/3405/", contains=["Lillehammer"])
    smoke.page("/lover/", contains=[act or "?"])
    smoke.page(
        "/soknader/feed/nye/", contains=["<feed", title], content_type="application/atom+xml"
    )
    smoke.page("/soknader/?format=csv", contains=["reference", reference], content_type="text/csv")
    smoke.page("/unntak/?format=csv", contains=[act or "?"], content_type="text/csv")
    docs = smoke.page("/api/v1/docs/", contains=["swagger-ui"])

    stylesheet = re.search(r'href="(/static/css/frikommune\.[0-9a-f]{12}\.css)"', home)
    if smoke.check("the stylesheet has a hashed name", bool(stylesheet), home[:300]):
        smoke.static(stylesheet[1], "text/css")
    script = re.search(r'src="(/static/drf_spectacular_sidecar/[^"]+\.[0-9a-f]{12}\.js)"', docs)
    if smoke.check("the API docs' script has a hashed name", bool(script), docs[:300]):
        smoke.static(script[1], "text/javascript")


def check_production_behaviour(smoke: Smoke) -> None:
    response, _ = smoke.request("/soknader/", proxy=False)
    smoke.check(
        "plain HTTP is redirected to HTTPS",
        response.status == 301 and response.headers.get("Location", "").startswith("https://"),
        f"{response.status} {response.headers.get('Location')}",
    )
    response, _ = smoke.request("/finnes-ikke/")
    smoke.check("an unknown address answers 404", response.status == 404, str(response.status))
    response, _ = smoke.request("/")
    smoke.check(
        "HSTS and the Content-Security-Policy are sent",
        "max-age" in response.headers.get("Strict-Transport-Security", "")
        and "script-src 'self'" in response.headers.get("Content-Security-Policy", ""),
        str(response.headers),
    )
    remaining = []
    # Two gunicorn workers, one count kept in Redis; a forged X-Forwarded-For changes nothing.
    for forged in ["", "203.0.113.9", "", "198.51.100.7"]:
        response, _ = smoke.request("/api/v1/public/journal/", sent_by=forged)
        remaining.append(int(response.headers.get("X-RateLimit-Remaining", "-1")))
    smoke.check(
        "the API throttle counts one client across workers, whatever X-Forwarded-For it sends",
        remaining == list(range(remaining[0], remaining[0] - 4, -1)),
        repr(remaining),
    )


def check_portal(smoke: Smoke) -> None:
    login = smoke.page("/logg-inn/", contains=["csrfmiddlewaretoken"])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login)
    form = {"username": "saksbehandler", "password": PASSWORD, "next": "/saksbehandling/"}
    response, _ = smoke.request(
        "/logg-inn/",
        method="POST",
        body=urllib.parse.urlencode({**form, "csrfmiddlewaretoken": token[1] if token else ""}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": smoke.origin,
            "Referer": f"{smoke.origin}/logg-inn/",
        },
    )
    smoke.check(
        "the case officer logs in",
        response.status == 302 and "sessionid" in smoke.cookies,
        f"{response.status} {response.headers.get('Location')}",
    )
    smoke.page("/saksbehandling/", contains=["/logg-ut/", "/saksbehandling/oppgaver/"])


def main() -> int:
    smoke = Smoke(sys.argv[1])
    server_pid = int(sys.argv[2]) if len(sys.argv) > 2 else None
    if wait_for_server(smoke, server_pid):
        check_public_site(smoke)
        check_production_behaviour(smoke)
        check_portal(smoke)
    print(f"== Smoke: {len(smoke.failures)} failure(s)")
    return 1 if smoke.failures else 0


if __name__ == "__main__":
    sys.exit(main())
