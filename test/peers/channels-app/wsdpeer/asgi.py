"""ASGI entry: HTTP → Django, WebSocket → auth middleware → URLRouter (as config/asgi.py, no origin validator)."""
import os

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'wsdpeer.settings')

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from .consumers import ChatConsumer, ChatConsumerWithoutForwarding, HealthCheckConsumer  # noqa: E402
from .ws_auth import WsAuthMiddleware  # noqa: E402

websocket_urlpatterns = [path('ws/health/', HealthCheckConsumer.as_asgi())]
if settings.WSD_ROUTES != 'no-chat':
    chat = ChatConsumerWithoutForwarding if settings.WSD_CHAT_FORWARD == 'off' else ChatConsumer
    websocket_urlpatterns.append(path('ws/chat/<str:conversation_id>/', chat.as_asgi()))

application = ProtocolTypeRouter({'http': django_asgi_app, 'websocket': WsAuthMiddleware(URLRouter(websocket_urlpatterns))})
