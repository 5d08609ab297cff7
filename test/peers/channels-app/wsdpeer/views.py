"""HTTP views of the peer: login (cookies only), the connection-token endpoint, DB health, the profile catch-all.

The status codes, bodies and log lines follow core/auth/views.py and core/auth/views_token.py (target-system
§2.1, §12, §13). Everything that touches the cache does it *before* the view body where the real stack does
(django-ratelimit on login, DRF throttles on API views), so a broken cache is a 500 there, not the view's 503.
"""
import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, JsonResponse
from rest_framework import status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from . import auth, tokens, users

logger = logging.getLogger(__name__)


class Ratelimited(Exception):
    pass


def _login_rate_ok(request):
    """django-ratelimit `key='ip', rate='10/m', block=True`: a fixed-window counter in the cache."""
    window = int(time.time() // 60)
    key = f'rl:login:{request.META.get("REMOTE_ADDR", "")}:{window}'
    if cache.add(key, 1, timeout=60):
        return True
    return cache.incr(key) <= settings.LOGIN_RATE_PER_MINUTE


@api_view(['POST'])
@authentication_classes([])
@permission_classes([AllowAny])
def login_view(request):
    if not _login_rate_ok(request):
        return JsonResponse({'detail': 'Forbidden'}, status=403)
    started = time.time()
    login = request.data.get('email')
    password = request.data.get('password')
    if not login or not password:
        return Response({'error': 'Email/username and password are required'}, status=status.HTTP_400_BAD_REQUEST)
    user = users.by_login(login)
    if user is None or user._password != password:
        time.sleep(max(0.1 - (time.time() - started), 0))
        return Response({'error': 'Invalid email/username or password'}, status=status.HTTP_401_UNAUTHORIZED)
    response = Response(
        {'success': True, 'message': 'Login successful', 'data': {'id': user.id, 'username': user.username, 'email': user.email}},
        status=status.HTTP_200_OK,
    )
    pair = auth.tokens_for(user)
    jwt = settings.SIMPLE_JWT
    common = dict(domain=settings.COOKIE_DOMAIN, secure=jwt['AUTH_COOKIE_SECURE'], samesite=jwt['AUTH_COOKIE_SAMESITE'], path='/')
    response.set_cookie('access_token', pair['access'], httponly=True, max_age=int(jwt['ACCESS_TOKEN_LIFETIME'].total_seconds()), **common)
    response.set_cookie('refresh_token', pair['refresh'], httponly=True, max_age=int(jwt['REFRESH_TOKEN_LIFETIME'].total_seconds()), **common)
    logger.info(f'JWT cookies set for user: {user.username}')
    return response


@api_view(['POST'])
@permission_classes([IsAuthenticated])
def ws_connection_token(request):
    connection_id = request.data.get('connection_id') or str(uuid.uuid4())
    try:
        cache.set('_ws_token_health_check', '1', timeout=5)
        if not cache.get('_ws_token_health_check'):
            logger.error('[WS_TOKEN_API] Redis health check failed - cache not responding')
            return Response({'error': 'Cache service unavailable', 'code': 'CACHE_UNAVAILABLE'}, status=503)
    except Exception as cache_error:
        logger.error(f'[WS_TOKEN_API] Redis connection error: {cache_error}', exc_info=True)
        return Response({'error': 'Cache service error', 'code': 'CACHE_ERROR', 'details': str(cache_error)}, status=503)
    try:
        token = tokens.issue(request.user.id, request.user.username, connection_id)
    except Exception as token_error:
        logger.error(
            f'[WS_TOKEN_API] Token generation failed for user={request.user.username} (id={request.user.id}): {token_error}',
            exc_info=True,
        )
        return Response(
            {'error': 'Token generation failed', 'code': 'TOKEN_GENERATION_ERROR', 'details': str(token_error)}, status=500
        )
    logger.info(
        f'[WS_TOKEN_API] Generated connection token for user={request.user.username} '
        f'(id={request.user.id}), connection_id={connection_id}'
    )
    return Response({'connection_token': token, 'expires_in': tokens.ADVERTISED_TTL, 'connection_id': connection_id})


@api_view(['GET'])
@authentication_classes([])
@permission_classes([AllowAny])
def db_health(request):
    # No database in the peer: the throttle (cache) in front of this view is what it exercises.
    return Response({'status': 'ok', 'database': 'connected'})


def profile(request, username):
    """The `^<username>$` catch-all that swallows `/metrics` in the real URLconf."""
    if users.by_login(username) is None:
        raise Http404('No user')
    return JsonResponse({'username': username})
