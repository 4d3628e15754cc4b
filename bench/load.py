"""Public pages over HTTP at two data sizes: gunicorn, DEBUG off, Redis cache, wrk.

For each database (built by bench/national.py) the script serves the site the production
way (collectstatic with the manifest, gunicorn, DEBUG off, Redis as the cache, behind a
pretend TLS proxy: ``TRUSTED_PROXY_COUNT=1`` and ``X-Forwarded-Proto: https``), warms each
page once (figures are then cached under the data's version, as in steady state), and runs
wrk against each public page at 1 and at 16 connections for a bounded time, on loopback
only. In the same run it measures a static file, a conditional request answered 304, and
the time of the full CSV and JSON exports. It prints medians, 95th percentiles and
requests a second for both databases, and ends with one line a script can read:

    SUMMARY worst_median_ms=<ms> worst_p95_ms=<ms> worst_growth=<large/small>
            soknader_req_s=<n> ratio_304=<r> export_s=<s>

    .venv/bin/python bench/load.py --small frikommune_scale_small --large frikommune_scale_large

wrk comes from Debian's packages: the script installs it with apt-get when it is missing
and it runs as root (otherwise it says what to install).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/12")

PAGES = [
    "/",
    "/soknader/",
    "/soknader/?q=skole",
    "/soknader/?county=34&status=approved&sort=decided",
    "/soknader/<approved>/",
    "/journal/",
    "/unntak/",
    "/lover/LOV-2023-06-09-30/",
    "/statistikk/",
    "/kommuner/3405/",
    "/soknader/feed/nye/",
    "/api/v1/public/applications/",
    "/api/v1/public/exemptions/",
]
EXPORTS = ["/soknader/?format=csv", "/soknader/?format=json"]
HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}

# wrk reports percentiles in microseconds; this prints them as one JSON line at the end.
WRK_SCRIPT = """
wrk.headers["X-Forwarded-Proto"] = "https"
wrk.headers["X-Forwarded-For"] = "127.0.0.1"
local extra = os.getenv("WRK_HEADER")
if extra and extra ~= "" then
  local name, value = extra:match("^([^:]+):%s*(.*)$")
  wrk.headers[name] = value
end
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "p50_us": %d, "p95_us": %d, ' ..
    '"errors": %d, "status_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def wrk_ensure() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: install it (apt-get install wrk) or run as root.")
    print("installing wrk from Debian's packages …", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or "wrk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={**HEADERS, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Server:
    """gunicorn serving one database, production settings, until ``stop``."""

    def __init__(self, database: str, static_root: Path, workers: int, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DEBUG": "false",
            "TESTING": "false",
            "SECRET_KEY": "bench-load-" + "x" * 50,
            "DATABASE_URL": f"{SERVER}/{database}",
            "DB_CONN_MAX_AGE": "600",
            "ALLOWED_HOSTS": "127.0.0.1",
            "CACHE_BACKEND": "django.core.cache.backends.redis.RedisCache",
            "CACHE_LOCATION": REDIS,
            "CACHE_KEY_PREFIX": f"bench-load-{database}-{os.getpid()}",
            "TRUSTED_PROXY_COUNT": "1",
            "STATIC_ROOT": str(static_root),
            "WEB_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "PUBLIC_API_RATE": "1000000/second",  # measure the pages, not the throttle
        }
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "config.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if fetch(self.base + "/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit(f"gunicorn did not answer on {self.base}; see {log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def wrk(binary: str, script: Path, url: str, connections: int, seconds: int, header="") -> dict:
    threads = min(connections, 2)
    result = subprocess.run(
        [
            binary,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "WRK_HEADER": header},
        timeout=seconds + 60,
        check=True,
    )
    line = [row for row in result.stdout.splitlines() if row.startswith("{")][-1]
    found = json.loads(line)
    found["req_s"] = found["requests"] / found["seconds"] if found["seconds"] else 0.0
    found["p50_ms"] = found.pop("p50_us") / 1000
    found["p95_ms"] = found.pop("p95_us") / 1000
    if found["requests"] == 0:  # none finished in time: at least the whole run
        found["p50_ms"] = found["p95_ms"] = seconds * 1000.0
    return found


def detail_reference(database: str) -> str:
    import psycopg

    with psycopg.connect(f"{SERVER}/{database}") as connection:
        row = connection.execute(
            "SELECT reference FROM trials_application WHERE status = 'approved' "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return row[0]


def static_path(static_root: Path) -> str:
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    return "/static/" + manifest["paths"]["css/frikommune.css"]


def measure(database, args, binary, script, static_root, log_dir) -> dict:
    server = Server(database, static_root, args.workers, log_dir / f"gunicorn-{database}.log")
    try:
        reference = detail_reference(database)
        pages = [page.replace("<approved>", reference) for page in PAGES]
        results = {}
        for page, url in zip(PAGES, pages, strict=True):
            # Warm every worker (templates, connections) and the per-version caches.
            with ThreadPoolExecutor(args.workers) as pool:
                answers = list(pool.map(fetch, [server.base + url] * (2 * args.workers)))
            if any(status != 200 for status, _headers, _body in answers):
                raise SystemExit(f"{url} did not answer 200 on {database}")
            results[page] = {
                connections: wrk(binary, script, server.base + url, connections, args.duration)
                for connections in (1, 16)
            }
            one, many = results[page][1], results[page][16]
            print(
                f"  {page:<52}{one['p50_ms']:>8.1f}{one['p95_ms']:>8.1f}{one['req_s']:>8.0f}"
                f"{many['p50_ms']:>9.1f}{many['p95_ms']:>8.1f}{many['req_s']:>8.0f}"
                f"{many['status_errors'] + one['status_errors']:>5}",
                flush=True,
            )
        static = static_path(static_root)
        _status, headers, _body = fetch(server.base + "/soknader/")
        etag = headers.get("ETag")
        assert fetch(server.base + "/soknader/", {"If-None-Match": etag})[0] == 304
        results["static"] = wrk(binary, script, server.base + static, 16, args.duration)
        results["304"] = wrk(
            binary,
            script,
            server.base + "/soknader/",
            16,
            args.duration,
            header=f"If-None-Match: {etag}",
        )
        for label in ("static", "304"):
            found = results[label]
            print(
                f"  {label + ' (16 connections)':<52}{'':>24}{found['p50_ms']:>9.1f}"
                f"{found['p95_ms']:>8.1f}{found['req_s']:>8.0f}{found['status_errors']:>5}"
            )
        for url in EXPORTS:
            timings = []
            for _ in range(2):  # the first after the data changed may prepare the file
                start = time.perf_counter()
                status, _headers, body = fetch(server.base + url)
                timings.append(time.perf_counter() - start)
                assert status == 200, (url, status)
            results[url] = {"first_s": timings[0], "second_s": timings[1], "bytes": len(body)}
            print(
                f"  {url:<52} first {timings[0]:.2f} s, then {timings[1]:.2f} s "
                f"({len(body) / 1024:.0f} KB)"
            )
        return results
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", required=True, help="database built by national.py")
    parser.add_argument("--large", required=True, help="database built by national.py")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args()

    binary = wrk_ensure()
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    script = work / "report.lua"
    script.write_text(WRK_SCRIPT)
    static_root = work / "static"
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env={
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": "bench",
            "STATIC_ROOT": str(static_root),
        },
        check=True,
    )
    header = (
        f"  {'page':<52}{'1 conn: p50':>12}{'p95':>8}{'req/s':>8}"
        f"{'16: p50':>9}{'p95':>8}{'req/s':>8}{'err':>5}"
    )
    results = {}
    for label, database in (("small", args.small), ("large", args.large)):
        print(f"{label}: {database} (gunicorn, {args.workers} workers, {args.duration} s per run)")
        print(header, flush=True)
        results[label] = measure(database, args, binary, script, static_root, work)
    shutil.rmtree(static_root, ignore_errors=True)

    small, large = results["small"], results["large"]
    print("\nlarge / small, median at 1 connection:")
    growth = {}
    for page in PAGES:
        growth[page] = large[page][1]["p50_ms"] / max(small[page][1]["p50_ms"], 0.001)
        print(f"  {page:<52}{growth[page]:>6.2f}")
    worst_median = max(large[page][1]["p50_ms"] for page in PAGES)
    worst_p95 = max(large[page][16]["p95_ms"] for page in PAGES)
    ratio_304 = large["304"]["req_s"] / large["static"]["req_s"]
    export_s = max(large[url]["second_s"] for url in EXPORTS)
    print(
        f"SUMMARY worst_median_ms={worst_median:.1f} worst_p95_ms={worst_p95:.1f} "
        f"worst_growth={max(growth.values()):.2f} "
        f"soknader_req_s={large['/soknader/'][16]['req_s']:.0f} ratio_304={ratio_304:.2f} "
        f"export_s={export_s:.2f}"
    )


if __name__ == "__main__":
    main()
