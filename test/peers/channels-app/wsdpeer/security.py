"""Connection limits kept in the Django cache (behaviour of core/agents/security.py's RateLimiter)."""
import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

MAX_CONNECTIONS_PER_USER = 5
CONNECTION_RATE_LIMIT = 10
MAX_MESSAGE_SIZE = 32 * 1024


class ConnectionLimits:
    """Skipped entirely when DEBUG (local compose), like the real limiter."""

    def __init__(self):
        self.off = settings.DEBUG

    def rate_ok(self, user_id):
        if self.off:
            return True
        key = f'ws_rate:user:{user_id}'
        count = cache.get(key, 0)
        if count >= CONNECTION_RATE_LIMIT:
            logger.warning(f'[SECURITY] User {user_id} exceeded connection rate limit')
            return False
        if count == 0:
            cache.set(key, 1, timeout=60)
        else:
            cache.incr(key)
        return True

    def concurrency_ok(self, user_id):
        """(allowed, message)."""
        if self.off:
            return True, ''
        count = cache.get(f'ws_connections:user:{user_id}', 0)
        if count >= MAX_CONNECTIONS_PER_USER:
            logger.warning(f'[SECURITY] User {user_id} exceeded WebSocket connection limit: {count}')
            return False, f'Maximum {MAX_CONNECTIONS_PER_USER} concurrent connections allowed'
        return True, ''

    def opened(self, user_id):
        if self.off:
            return
        key = f'ws_connections:user:{user_id}'
        try:
            cache.incr(key)
            cache.touch(key, 86400)
        except ValueError:
            if not cache.add(key, 1, timeout=86400):
                cache.incr(key)

    def closed(self, user_id):
        if self.off:
            return
        key = f'ws_connections:user:{user_id}'
        try:
            if cache.decr(key) <= 0:
                cache.delete(key)
        except ValueError:
            pass

    def message_size_ok(self, text):
        size = len(text.encode('utf-8'))
        if size > MAX_MESSAGE_SIZE:
            logger.warning(f'[SECURITY] Message size exceeded: {size} bytes')
            return False, f'Message too large (max {MAX_MESSAGE_SIZE // 1024}KB)'
        return True, ''
