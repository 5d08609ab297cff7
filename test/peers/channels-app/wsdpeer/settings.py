"""Settings of the peer, read from the environment like the real config/settings.py reads python-decouple.

Every variable has the AllThrive local-compose default; test/peers/daphne.ts sets them per fault.
"""
import json
import os
from datetime import timedelta


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default):
    v = os.environ.get(name)
    return default if v is None else v.strip().lower() in ('1', 'true', 'yes', 'on')


def env_list(name, default):
    v = os.environ.get(name)
    return default if v is None else [s.strip() for s in v.split(',') if s.strip()]


SECRET_KEY = env('SECRET_KEY', 'wsdpeer-not-a-secret-only-for-tests-0123456789')
DEBUG = env_bool('DEBUG', True)
ALLOWED_HOSTS = env_list('ALLOWED_HOSTS', ['localhost', '127.0.0.1', '[::1]'])
CORS_ALLOWED_ORIGINS = env_list('CORS_ALLOWED_ORIGINS', ['http://localhost:3000', 'http://127.0.0.1:3000'])
COOKIE_DOMAIN = env('COOKIE_DOMAIN', 'localhost')

# As in the real settings (§13): the proxy header is set, the redirect follows DEBUG unless overridden.
SECURE_SSL_REDIRECT = env_bool('SECURE_SSL_REDIRECT', not DEBUG)
if env_bool('WSD_PROXY_SSL_HEADER', True):
    SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')

INSTALLED_APPS = [
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'rest_framework',
    'channels',
    'wsdpeer',
]
if env('WSD_METRICS', 'metricsmetrics') != 'none':
    INSTALLED_APPS.append('django_prometheus')

MIDDLEWARE = [
    # Answers /api/v1/health/ before SecurityMiddleware and ALLOWED_HOSTS, like core.middleware.HealthCheckMiddleware.
    'wsdpeer.middleware.HealthCheckMiddleware',
    'django.middleware.security.SecurityMiddleware',
    'django.middleware.common.CommonMiddleware',
    'wsdpeer.middleware.CookieJWTAuthenticationMiddleware',
]
if 'django_prometheus' in INSTALLED_APPS:
    MIDDLEWARE = (
        ['django_prometheus.middleware.PrometheusBeforeMiddleware']
        + MIDDLEWARE
        + ['django_prometheus.middleware.PrometheusAfterMiddleware']
    )

ROOT_URLCONF = 'wsdpeer.urls'
ASGI_APPLICATION = 'wsdpeer.asgi.application'
# No database: users come from WSD_USERS (the real stack looks them up in PostgreSQL).
DATABASES = {}
USE_TZ = True
TIME_ZONE = 'UTC'
APPEND_SLASH = False
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'

# Django cache on Redis (CACHE_URL, DB 2 in compose; DB 4 when unset) with Django's key format.
CACHES = {
    'default': {
        'BACKEND': 'wsdpeer.cache.RedisCache',
        'LOCATION': env('CACHE_URL', 'redis://127.0.0.1:6379/4'),
        'KEY_PREFIX': 'allthrive',
        'TIMEOUT': 300,
    }
}

CHANNEL_LAYERS = {
    'default': {
        'BACKEND': 'channels_redis.core.RedisChannelLayer',
        'CONFIG': {
            'hosts': [env('REDIS_URL', 'redis://127.0.0.1:6379/3')],
            'capacity': 3000,
            'expiry': 15,
        },
    }
}

REST_FRAMEWORK = {
    'DEFAULT_AUTHENTICATION_CLASSES': ['wsdpeer.auth.DirectoryJWTAuthentication'],
    'DEFAULT_THROTTLE_CLASSES': [
        'rest_framework.throttling.AnonRateThrottle',
        'rest_framework.throttling.UserRateThrottle',
    ],
    'DEFAULT_THROTTLE_RATES': {'anon': env('WSD_ANON_RATE', '100/min'), 'user': env('WSD_USER_RATE', '1000/min')},
    'UNAUTHENTICATED_USER': 'django.contrib.auth.models.AnonymousUser',
}

SIMPLE_JWT = {
    'ACCESS_TOKEN_LIFETIME': timedelta(minutes=15),
    'REFRESH_TOKEN_LIFETIME': timedelta(days=7),
    'SIGNING_KEY': SECRET_KEY,
    'AUTH_COOKIE': 'access_token',
    'AUTH_COOKIE_SECURE': not DEBUG,
    'AUTH_COOKIE_HTTP_ONLY': True,
    'AUTH_COOKIE_SAMESITE': 'Lax',
    'USER_ID_FIELD': 'id',
    'USER_ID_CLAIM': 'user_id',
}

# The probe user and a normal user; a JSON list of {id, username, email, password}.
WSD_USERS = json.loads(
    env(
        'WSD_USERS',
        json.dumps(
            [
                {'id': 7, 'username': 'ws-doctor', 'email': 'ws-doctor@example.com', 'password': 'probe-password'},
                {'id': 8, 'username': 'alice', 'email': 'alice@example.com', 'password': 'alice-password'},
            ]
        ),
    )
)
# Seconds a connection token lives in the cache (the real constant is 60; the endpoint always says 60).
WSD_TOKEN_TTL = float(env('WSD_TOKEN_TTL', '60'))
# `all` or `no-chat` (the chat route missing from the deployed routing).
WSD_ROUTES = env('WSD_ROUTES', 'all')
WSD_METRICS = env('WSD_METRICS', 'metricsmetrics')
# `off`: the chat consumer has no chat_message handler (Celery's events kill the socket).
WSD_CHAT_FORWARD = env('WSD_CHAT_FORWARD', 'on')
LOGIN_RATE_PER_MINUTE = int(env('WSD_LOGIN_RATE', '10'))

LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'formatters': {'simple': {'format': '{levelname} {asctime} {message}', 'style': '{'}},
    'handlers': {'console': {'class': 'logging.StreamHandler', 'formatter': 'simple'}},
    'root': {'handlers': ['console'], 'level': 'INFO'},
    'loggers': {
        'django': {'handlers': ['console'], 'level': 'INFO', 'propagate': False},
        'wsdpeer': {'handlers': ['console'], 'level': 'INFO', 'propagate': False},
    },
}
