"""One place that reads configuration from the environment.

Every setting has a default and a one-line description; ``.env.example`` lists them all and
``tests/test_settings.py`` checks that the two agree.
"""

import os

REGISTRY: dict[str, tuple[str, str]] = {}


def env(name: str, default: str, description: str) -> str:
    REGISTRY[name] = (default, description)
    return os.environ.get(name, default)


def env_bool(name: str, default: bool, description: str) -> bool:
    value = env(name, "true" if default else "false", description)
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, description: str) -> int:
    """An integer; an empty value (``NAME=`` copied from .env.example) means the default."""
    value = env(name, str(default), description).strip()
    return int(value) if value else default


def env_list(name: str, default: str, description: str) -> list[str]:
    return [item.strip() for item in env(name, default, description).split(",") if item.strip()]
