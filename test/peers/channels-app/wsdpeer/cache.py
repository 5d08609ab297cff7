"""A Django cache backend on redis-py for Django 3.2, which has none (Django >= 4.0 ships RedisCache).

It stores what Django's own RedisCache stores, so the bot sees the real layout: keys `<KEY_PREFIX>:<version>:<key>`
(Django's default key function), plain ints raw (so INCR works and a bot can read counters), everything else
pickled (protocol 5). Timeouts: None = no expiry, 0 = expire at once (the key is deleted), otherwise seconds
(fractions become milliseconds: the peer's `token-ttl-short` fault needs a TTL below one second). No socket
timeout, like the real backend: a hung Redis hangs the request.
"""
import pickle

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache


def _dumps(value):
    if type(value) is int:
        return value
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _loads(data):
    try:
        return int(data)
    except ValueError:
        return pickle.loads(data)


class RedisCache(BaseCache):
    def __init__(self, server, params):
        super().__init__(params)
        self._url = server
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = redis.Redis.from_url(self._url)
        return self._client

    def _px(self, timeout):
        """Milliseconds to live, or None for no expiry."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:
            return None
        return max(int(round(float(timeout) * 1000)), 0)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_key(key, version=version)
        px = self._px(timeout)
        if px == 0:
            return False
        return bool(self.client.set(key, _dumps(value), nx=True, px=px))

    def get(self, key, default=None, version=None):
        data = self.client.get(self.make_key(key, version=version))
        return default if data is None else _loads(data)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_key(key, version=version)
        px = self._px(timeout)
        if px == 0:
            self.client.delete(key)
        else:
            self.client.set(key, _dumps(value), px=px)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_key(key, version=version)
        px = self._px(timeout)
        if px is None:
            return bool(self.client.persist(key))
        return bool(self.client.pexpire(key, px))

    def delete(self, key, version=None):
        return bool(self.client.delete(self.make_key(key, version=version)))

    def has_key(self, key, version=None):
        return bool(self.client.exists(self.make_key(key, version=version)))

    def incr(self, key, delta=1, version=None):
        key = self.make_key(key, version=version)
        if not self.client.exists(key):
            raise ValueError("Key '%s' not found." % key)
        return self.client.incr(key, delta)

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version=version)

    def get_many(self, keys, version=None):
        made = [self.make_key(k, version=version) for k in keys]
        return {k: _loads(v) for k, v in zip(keys, self.client.mget(made)) if v is not None}

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        for k, v in data.items():
            self.set(k, v, timeout, version=version)
        return []

    def delete_many(self, keys, version=None):
        if keys:
            self.client.delete(*[self.make_key(k, version=version) for k in keys])

    def clear(self):
        return bool(self.client.flushdb())
