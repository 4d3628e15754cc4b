"""Django's Redis cache backend, with one Redis client per process instead of one per call.

``django.core.cache.backends.redis.RedisCacheClient.get_client`` builds a new ``redis.Redis``
for every cache operation; with redis-py 5+ that costs more than the round trip itself (it
fills a table of about 170 response callbacks each time). The client is thread-safe and
takes its connections from the pool Django already keeps per process, so one is kept per
pool here. Everything else, keys, serialisation and behaviour, is Django's.
``CACHE_BACKEND=django.core.cache.backends.redis.RedisCache`` selects this class
(config/settings.py).
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class KeptClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
