"""JWTs (rest_framework_simplejwt, as the real stack) for users of the peer's directory instead of the ORM."""
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from . import users


class DirectoryJWTAuthentication(JWTAuthentication):
    """`Authorization: Bearer <access JWT>`, user looked up in the directory (401 `token_not_valid` on a bad token)."""

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken('Token contained no recognizable user identification')
        user = users.by_id(user_id)
        if user is None:
            raise AuthenticationFailed('User not found', code='user_not_found')
        return user


def tokens_for(user):
    refresh = RefreshToken()
    refresh[api_settings.USER_ID_CLAIM] = user.id
    access = AccessToken()
    access[api_settings.USER_ID_CLAIM] = user.id
    return {'access': str(access), 'refresh': str(refresh)}


def user_from_access_token(raw):
    """The directory user of a valid access JWT, else None (TokenError for an invalid one)."""
    token = AccessToken(raw)
    return users.by_id(token.get(api_settings.USER_ID_CLAIM))
