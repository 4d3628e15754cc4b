"""Public pages at two data sizes: median response time and SQL queries (see bench/README.md).

The data comes from the demo's applications (workflows.demo.seed), each copy driven through the
real case process to its state, so the journal, consultations, decisions and trials are those
the system itself produces. The pages are then requested anonymously, as a citizen would.
"""

import argparse
import statistics
import time
import warnings

from harness import in_test_database  # sets up Django: before any Django import

# isort: split
import django
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic in a bench

PAGES = [
    "/",
    "/soknader/",
    "/soknader/?q=skole",
    "/soknader/?county=34&status=approved&sort=decided",
    "/soknader/<approved>/",
    "/soknader/?format=csv",
    "/soknader/?format=json",
    "/soknader/feed/nye/",
    "/kommuner/3405/",
    "/journal/",
    "/unntak/",
    "/lover/LOV-2023-06-09-30/",
    "/statistikk/",
    "/api/v1/public/applications/",
    "/api/v1/public/exemptions/",
    "/forsok/",
    "/forsok/?q=skole&county=34",
    "/forsok/?format=csv",
    "/forsok/<trial>/",
    "/api/v1/public/trials/",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=2, help="rounds of demo applications")
    parser.add_argument("--large", type=int, default=20, help="rounds of demo applications")
    parser.add_argument("--repeat", type=int, default=7, help="requests per page")
    args = parser.parse_args()

    in_test_database(lambda: run(args))


def seed(rounds_from: int, rounds_to: int) -> None:
    """Copies of the demo applications, round by round, each driven to its state."""
    from workflows.demo import seed as demo

    original = list(demo.DEMO_APPLICATIONS)
    try:
        for number in range(rounds_from, rounds_to):
            demo.DEMO_APPLICATIONS[:] = [
                {**spec, "title": f"{spec['title']} ({number + 1})"} for spec in original
            ]
            demo.seed_applications()
    finally:
        demo.DEMO_APPLICATIONS[:] = original


def measure(repeat: int) -> dict[str, tuple[float, int, int]]:
    from trials.models import Application

    detail = (
        Application.objects.filter(status="approved")
        .order_by("-pk")
        .values_list("reference", flat=True)
    )[0]
    from trials.models import Trial

    trial = Trial.objects.order_by("-pk").values_list("pk", flat=True)[0]
    client = Client()
    results = {}
    for page in PAGES:
        url = page.replace("<approved>", detail).replace("<trial>", str(trial))
        timings = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url)
                if response.streaming:
                    size = sum(len(chunk) for chunk in response.streaming_content)
                else:
                    size = len(response.content)
                timings.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        results[page] = (statistics.median(timings), len(captured.captured_queries), size)
    return results


def run(args) -> None:
    from django.contrib.auth import get_user_model

    from trials.models import Application, ExemptionRequest
    from workflows.demo.seed import DEMO_APPLICATIONS, seed_users

    settings = django.conf.settings
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    seed_users()
    assert get_user_model().objects.filter(username="saksbehandler").exists()

    sizes = {}
    results = {}
    for label, rounds_from, rounds_to in (
        ("small", 0, args.small),
        ("large", args.small, args.large),
    ):
        start = time.perf_counter()
        seed(rounds_from, rounds_to)
        seconds = time.perf_counter() - start
        if connection.vendor == "postgresql":  # fresh statistics, as autovacuum keeps them
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        sizes[label] = (Application.objects.count(), ExemptionRequest.objects.count())
        print(
            f"{label}: {sizes[label][0]} applications, {sizes[label][1]} exemption requests "
            f"({(rounds_to - rounds_from) * len(DEMO_APPLICATIONS)} added in {seconds:.0f} s)",
            flush=True,
        )
        results[label] = measure(args.repeat)

    print(f"\n{connection.vendor}; median of {args.repeat} anonymous requests per page")
    header = f"{'page':<52}{'small ms':>9}{'large ms':>9}{'ratio':>7}{'queries':>9}{'large KB':>9}"
    print(header)
    for page in PAGES:
        small_ms, small_q, _size = results["small"][page]
        large_ms, large_q, large_size = results["large"][page]
        queries = f"{small_q}" if small_q == large_q else f"{small_q}→{large_q}"
        print(
            f"{page:<52}{small_ms * 1000:>9.1f}{large_ms * 1000:>9.1f}"
            f"{large_ms / small_ms:>7.2f}{queries:>9}{large_size / 1024:>9.0f}"
        )


if __name__ == "__main__":
    main()
