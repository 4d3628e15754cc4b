"""Every knob the settings read from the environment is documented in .env.example."""

import ast
import re
from pathlib import Path

from django.conf import settings

import config.gunicorn
import config.settings
from config import env as config_env

ENV_EXAMPLE = Path(settings.BASE_DIR) / ".env.example"
# Every module that reads the environment: Django's settings and gunicorn's (serve.sh).
CONFIG_SOURCES = [Path(config.settings.__file__), Path(config.gunicorn.__file__)]
ENV_HELPERS = {"env", "env_bool", "env_int", "env_list"}


def names_read_in_settings_source() -> set[str]:
    """Names passed to the env helpers in the config modules, including calls a condition skips.

    ``TESTING = "pytest" in sys.modules or env_bool("TESTING", ...)`` never reaches the registry
    under pytest, yet an operator can still set TESTING, so it must be documented as well.
    """
    names = set()
    trees = [ast.parse(source.read_text(encoding="utf-8")) for source in CONFIG_SOURCES]
    for node in (node for tree in trees for node in ast.walk(tree)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ENV_HELPERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def documented_settings() -> dict[str, str]:
    """``NAME`` → the comment line right above ``NAME=`` in .env.example."""
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    documented = {}
    for number, line in enumerate(lines):
        match = re.match(r"^([A-Z][A-Z0-9_]*)=", line)
        if match:
            above = lines[number - 1].strip() if number else ""
            documented[match.group(1)] = above if above.startswith("#") else ""
    return documented


def test_settings_read_through_config_env_are_registered():
    assert {"SECRET_KEY", "DEBUG", "DATABASE_URL", "ALLOWED_HOSTS"} <= set(config_env.REGISTRY)
    assert {"STATIC_ROOT", "MEDIA_ROOT", "WEB_CONCURRENCY", "WEB_BIND"} <= set(config_env.REGISTRY)
    for name, (default, description) in config_env.REGISTRY.items():
        assert isinstance(default, str), name
        assert description.strip(), f"{name} has no description"


def test_every_environment_setting_is_documented_in_env_example():
    assert ENV_EXAMPLE.is_file(), f"{ENV_EXAMPLE} is missing"
    documented = documented_settings()
    wanted = set(config_env.REGISTRY) | names_read_in_settings_source()
    missing = sorted(wanted - set(documented))
    assert missing == [], f"not listed as NAME= at the start of a line in .env.example: {missing}"
    undescribed = sorted(name for name in wanted if not documented[name].lstrip("#").strip())
    assert undescribed == [], f"no description comment on the line above: {undescribed}"


def test_env_example_lists_no_setting_the_code_does_not_read():
    assert ENV_EXAMPLE.is_file(), f"{ENV_EXAMPLE} is missing"
    known = set(config_env.REGISTRY) | names_read_in_settings_source()
    assert sorted(set(documented_settings()) - known) == []
