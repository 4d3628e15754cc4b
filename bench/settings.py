"""The project's settings plus the bench package as an app, so viewflow accepts the bare
flow of bench/bare_flow.py (a flow must live in an installed app)."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
