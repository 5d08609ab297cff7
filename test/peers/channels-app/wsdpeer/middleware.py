"""HTTP middleware mirroring core/middleware.py: the constant health answer and the cookie → Bearer copy."""
import logging

from django.http import JsonResponse
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

logger = logging.getLogger(__name__)

HEALTH_PATHS = ('/api/v1/health/', '/health/', '/healthz/', '/ready/')


class HealthCheckMiddleware:
    """Answers the health paths before ALLOWED_HOSTS and the SSL redirect, so they stay 200 through both."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in HEALTH_PATHS:
            return JsonResponse({'status': 'healthy'}, status=200)
        return self.get_response(request)


class CookieJWTAuthenticationMiddleware:
    """A *valid* `access_token` cookie becomes `Authorization: Bearer …`; an invalid one is silently ignored."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.COOKIES.get('access_token')
        if raw and 'HTTP_AUTHORIZATION' not in request.META:
            try:
                AccessToken(raw)
                request.META['HTTP_AUTHORIZATION'] = f'Bearer {raw}'
            except TokenError:
                pass
        return self.get_response(request)
