"""WebSocket authentication (behaviour and log lines of core/agents/middleware.py's JWTAuthMiddleware).

Order: `?connection_token=` (no fallback when it is invalid) → `access_token` cookie → `?token=`. An
`Authorization` header is never read on a WebSocket.
"""
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import TokenError

from . import auth, tokens, users

logger = logging.getLogger(__name__)


@database_sync_to_async
def user_from_connection_token(token):
    try:
        user_id = tokens.consume(token)
        if not user_id:
            logger.warning(f'Invalid or expired connection token: {token[:8]}...')
            return AnonymousUser()
        user = users.by_id(user_id)
        if user is None:
            logger.warning(f'User not found for connection token: user_id={user_id}')
            return AnonymousUser()
        return user
    except Exception as e:
        logger.error(f'Unexpected error validating connection token: {e}', exc_info=True)
        return AnonymousUser()


@database_sync_to_async
def user_from_jwt(raw):
    try:
        user = auth.user_from_access_token(raw)
        return user if user is not None else AnonymousUser()
    except TokenError as e:
        logger.debug(f'Invalid JWT token for WebSocket: {e}')
        return AnonymousUser()
    except Exception as e:
        logger.error(f'Unexpected error validating WebSocket token: {e}', exc_info=True)
        return AnonymousUser()


class WsAuthMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope['type'] != 'websocket':
            return await self.app(scope, receive, send)
        qs = scope.get('query_string', b'').decode()
        params = parse_qs(qs) if qs else {}
        path = scope.get('path', 'unknown')
        if params.get('connection_token'):
            scope['user'] = await user_from_connection_token(params['connection_token'][0])
            if scope['user'].is_authenticated:
                logger.info(f'[WS_AUTH] Authenticated via connection token: user={scope["user"].username}, path={path}')
            else:
                logger.warning(f'[WS_AUTH] Invalid connection token for path={path}')
            return await self.app(scope, receive, send)
        headers = dict(scope.get('headers', []))
        raw = None
        for part in headers.get(b'cookie', b'').decode().split('; '):
            if part.startswith('access_token='):
                raw = part.split('=', 1)[1]
        if not raw and params.get('token'):
            raw = params['token'][0]
        if raw:
            scope['user'] = await user_from_jwt(raw)
            if scope['user'].is_authenticated:
                logger.info(f'[WS_AUTH] Authenticated via JWT: user={scope["user"].username}, path={path}')
        else:
            scope['user'] = AnonymousUser()
            logger.debug(f'[WS_AUTH] No auth found for WebSocket connection: path={path}')
        return await self.app(scope, receive, send)
