"""The user directory (the real stack reads PostgreSQL): users from settings.WSD_USERS, never a database."""
from django.conf import settings


class PeerUser:
    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, id, username, email, password):
        self.id = id
        self.pk = id
        self.username = username
        self.email = email
        self._password = password

    def __str__(self):
        return self.username


def all_users():
    return [PeerUser(u['id'], u['username'], u['email'], u['password']) for u in settings.WSD_USERS]


def by_id(user_id):
    return next((u for u in all_users() if str(u.id) == str(user_id)), None)


def by_login(login):
    """The real login field takes an email or a username."""
    login = (login or '').strip().lower()
    return next((u for u in all_users() if login in (u.email.lower(), u.username.lower())), None)
