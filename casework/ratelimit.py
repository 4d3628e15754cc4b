"""Counting requests per client, shared by every worker through the default cache.

The client is ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` reverse proxies the address
the outermost trusted proxy saw: the same rule as DRF's ``NUM_PROXIES``, so a client cannot
choose its own address by writing an ``X-Forwarded-For`` header.
"""

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.connection import ConnectionProxy


def client_address(request) -> str:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


def count_hit(key: str, *, timeout: int, backend=cache) -> int:
    """One atomic increment of ``key``; the count so far, this hit included."""
    if isinstance(backend, ConnectionProxy):
        backend = caches[backend._alias]
    if isinstance(backend, RedisCache):
        # In one round trip (a MULTI): create the key if missing, then increment it.
        name = backend.make_and_validate_key(key)
        with backend._cache.get_client(name, write=True).pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=timeout, nx=True)
            pipe.incr(name)
            return pipe.execute()[1]
    backend.add(key, 0, timeout=timeout)
    try:
        return backend.incr(key)
    except ValueError:  # evicted by the cache server meanwhile: count afresh
        backend.set(key, 1, timeout=timeout)
        return 1
