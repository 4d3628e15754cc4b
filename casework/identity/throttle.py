"""Failed password logins, counted per account and per client address in the shared cache
(``casework.ratelimit``): past the limit the account, or the address, is locked out for a
while, without the password even being checked. A success clears the account's count."""

import hashlib

from django.conf import settings
from django.core.cache import cache

from casework.ratelimit import client_address, count_hit


def _account_key(username: str) -> str:
    digest = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:account:{digest}"


def _address_key(request) -> str:
    return f"login-failures:address:{client_address(request)}"


def locked_out(request, username: str) -> bool:
    return (cache.get(_account_key(username)) or 0) >= settings.LOGIN_FAILURES_PER_ACCOUNT or (
        cache.get(_address_key(request)) or 0
    ) >= settings.LOGIN_FAILURES_PER_ADDRESS


def failure_record(request, username: str) -> bool:
    """Count one failed login; True when this failure locks the account out."""
    timeout = settings.LOGIN_LOCKOUT_SECONDS
    count_hit(_address_key(request), timeout=timeout)
    return count_hit(_account_key(username), timeout=timeout) == settings.LOGIN_FAILURES_PER_ACCOUNT


def success_record(username: str) -> None:
    cache.delete(_account_key(username))
