"""Single-use WebSocket connection tokens in the Django cache (behaviour of core/agents/ws_connection_tokens.py)."""
import logging
import secrets
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

PREFIX = 'ws_conn_token:'
ADVERTISED_TTL = 60


def issue(user_id, username, connection_id=None):
    token = secrets.token_urlsafe(32)
    ttl = settings.WSD_TOKEN_TTL
    cache.set(
        PREFIX + token,
        {'user_id': user_id, 'username': username, 'connection_id': connection_id, 'created_at': time.time(), 'used': False},
        timeout=ttl,
    )
    shown = int(ttl) if float(ttl).is_integer() else ttl
    logger.info(
        f'[WS_TOKEN] Generated connection token: user={username} (id={user_id}), '
        f'connection_id={connection_id}, ttl={shown}s'
    )
    return token


def consume(token):
    """The user id of a valid, unused token, which is deleted (get then delete, not atomic, as the real code)."""
    if not token:
        logger.warning('[WS_TOKEN] Empty token provided')
        return None
    data = cache.get(PREFIX + token)
    if not data:
        logger.warning(f'[WS_TOKEN] Invalid or expired token: {token[:8]}...')
        return None
    cache.delete(PREFIX + token)
    age = time.time() - data.get('created_at', time.time())
    logger.info(
        f'[WS_TOKEN] Successfully consumed connection token: user={data.get("username")} (id={data.get("user_id")}), '
        f'connection_id={data.get("connection_id")}, age={age:.2f}s'
    )
    return data.get('user_id')
