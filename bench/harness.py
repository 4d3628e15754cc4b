"""What every benchmark shares: Django set up for tests, and a test database of its own with
the reference data, created before and dropped after, so a benchmark never touches real data.

Import this module first in a benchmark script (it sets up Django).
"""

import os
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")  # + the bare flow
os.environ.setdefault("TESTING", "true")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test.utils import get_runner, setup_test_environment  # noqa: E402


def in_test_database(run: Callable[[], None]) -> None:
    """Call ``run`` in a fresh test database holding the reference data."""
    setup_test_environment()
    runner = get_runner(django.conf.settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        with open(os.devnull, "w") as devnull:
            call_command("load_reference_data", verbosity=0, stdout=devnull)
        run()
    finally:
        runner.teardown_databases(old_config)
