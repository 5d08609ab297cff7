"""The chat and health consumers (behaviour and log lines of core/agents/consumers.py, core/monitoring/consumers.py).

Chat connect order: origin (a missing Origin passes) → anonymous → connection rate → concurrency →
`project-<n>` id format → `group_add` BEFORE `accept` → accept → counter +1 → `connected` frame. Every
rejection is a `close()` before `accept()`, which Daphne turns into an HTTP 403 at the handshake; an exception
before accept (the channel layer's Redis failing in `group_add`) becomes an HTTP 500.
"""
import json
import logging
from datetime import datetime
from urllib.parse import urlparse

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from .security import ConnectionLimits

logger = logging.getLogger(__name__)

HOSTED_DOMAINS = ('allthrive.ai', 'www.allthrive.ai', 'ws.allthrive.ai')


def allowed_domains():
    """Netlocs of CORS_ALLOWED_ORIGINS, their last two labels, and the hosted domains."""
    out = set(HOSTED_DOMAINS)
    for o in settings.CORS_ALLOWED_ORIGINS:
        netloc = urlparse(o).netloc.lower()
        if netloc:
            out.add(netloc)
            labels = netloc.split('.')
            if len(labels) >= 2:
                out.add('.'.join(labels[-2:]))
    return out


def origin_is_allowed(origin, domains):
    if not origin:
        return False
    try:
        netloc = urlparse(origin).netloc.lower()
    except Exception:
        return False
    return netloc in domains or any(netloc.endswith('.' + d) for d in domains) or origin in settings.CORS_ALLOWED_ORIGINS


def utc_timestamp():
    return datetime.utcnow().isoformat() + 'Z'


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.conversation_id = self.scope['url_route']['kwargs']['conversation_id']
        self.user = self.scope.get('user')
        self.group_name = f'chat_{self.conversation_id}'
        self.limits = ConnectionLimits()

        headers = dict(self.scope.get('headers', []))
        origin = headers.get(b'origin', b'').decode()
        host = headers.get(b'host', b'').decode()
        domains = allowed_domains()
        allowed = origin_is_allowed(origin, domains)
        logger.info(
            f'WebSocket connect attempt: origin={origin!r}, host={host!r}, '
            f'origin_allowed={allowed}, user={getattr(self.user, "id", "anonymous")}'
        )
        if origin and not allowed:
            logger.warning(
                f'WebSocket rejected - unauthorized origin: origin={origin!r}, allowed_domains={domains}, host={host!r}'
            )
            await self.close(code=4003)
            return
        if self.user is None or not self.user.is_authenticated:
            logger.warning(f'Unauthenticated WebSocket connection attempt for conversation {self.conversation_id}')
            await self.close(code=4001)
            return
        if not await database_sync_to_async(self.limits.rate_ok)(self.user.id):
            logger.warning(f'WebSocket connection rate limit exceeded for user {self.user.id}')
            await self.close(code=4029)
            return
        ok, why = await database_sync_to_async(self.limits.concurrency_ok)(self.user.id)
        if not ok:
            logger.warning(f'WebSocket connection limit exceeded for user {self.user.id}: {why}')
            await self.close(code=4029)
            return
        if self.conversation_id.startswith('project-'):
            try:
                int(self.conversation_id.replace('project-', '').split('-')[0])
            except (ValueError, TypeError):
                logger.warning(f'Invalid project conversation ID format: {self.conversation_id}')
                await self.close(code=4003)
                return
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await database_sync_to_async(self.limits.opened)(self.user.id)
        logger.info(f'WebSocket connected: user={self.user.id}, conversation={self.conversation_id}')
        await self.send(text_data=json.dumps({'event': 'connected', 'conversation_id': self.conversation_id, 'timestamp': utc_timestamp()}))

    async def disconnect(self, close_code):
        if hasattr(self, 'group_name'):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)
        # Runs for rejected handshakes too: a rejected authenticated user decrements the counter (§12).
        if getattr(self, 'user', None) is not None and self.user.is_authenticated and hasattr(self, 'limits'):
            await database_sync_to_async(self.limits.closed)(self.user.id)
        logger.info(f'WebSocket disconnected: user={getattr(self.user, "id", "unknown")}, code={close_code}')

    async def receive(self, text_data=None, bytes_data=None):
        text = text_data or ''
        ok, why = self.limits.message_size_ok(text)
        if not ok:
            return await self.send_error(why)
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return await self.send_error('Invalid message format')
        if data.get('type') == 'ping':
            return await self.send(text_data=json.dumps({'event': 'pong', 'timestamp': utc_timestamp()}))
        message = str(data.get('message', '')).strip()
        if not message:
            return await self.send_error('Message cannot be empty')
        # The peer has no Celery: say the task was queued and publish nothing (the bot never sends a message).
        await self.send(text_data=json.dumps({'event': 'task_queued', 'task_id': None, 'timestamp': utc_timestamp()}))

    async def chat_message(self, event):
        """What Celery's `group_send(chat_<id>, {"type": "chat.message", …})` arrives as: forward the whole dict."""
        event_type = event.get('event')
        logger.info(f'[WS_SEND] Forwarding to client: event={event_type}, conversation={event.get("conversation_id")}')
        data = json.dumps(event)
        await self.send(text_data=data)
        logger.info(f'[WS_SENT] Successfully sent to client: event={event_type}, bytes={len(data)}')

    async def send_error(self, error):
        await self.send(text_data=json.dumps({'event': 'error', 'error': error, 'timestamp': utc_timestamp()}))


class ChatConsumerWithoutForwarding(ChatConsumer):
    """A deployment whose consumer lost its `chat_message` handler (renamed in a refactor): Channels raises
    "No handler for message type chat.message" when Celery's event arrives, and the socket dies."""

    chat_message = None


class HealthCheckConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()
        await self.send(text_data='{"status":"ok","message":"WebSocket healthy"}')
        await self.close(code=1000)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data:
            await self.send(text_data=text_data)
