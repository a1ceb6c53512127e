"""API token format and secret hashing.

A token reads `wmk_<key id>_<secret><checksum>`: the key id (16 hex characters) is public
and finds the row; the secret (40 base62 characters, about 238 bits) is never stored,
only its HMAC-SHA256 under a server-side pepper named by id, so peppers can rotate; the
checksum (CRC32 in 6 base62 characters) lets malformed tokens be refused without a
database hit. A fast keyed hash is right for a secret this long: a slow password hash
would only burn CPU on every request.
"""

import hashlib
import hmac
import re
import secrets
import string
import zlib
from dataclasses import dataclass

from django.conf import settings

PREFIX = "wmk_"
_ALPHABET = string.digits + string.ascii_letters
_KEY_ID_LENGTH = 16
_SECRET_LENGTH = 40
_CHECKSUM_LENGTH = 6
_TOKEN_RE = re.compile(
    rf"^{PREFIX}([0-9a-f]{{{_KEY_ID_LENGTH}}})_"
    rf"([0-9A-Za-z]{{{_SECRET_LENGTH}}})([0-9A-Za-z]{{{_CHECKSUM_LENGTH}}})$"
)


@dataclass(frozen=True)
class TokenParts:
    key_id: str
    secret: str


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(_ALPHABET[remainder])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECKSUM_LENGTH)


def new_key_id() -> str:
    return secrets.token_hex(_KEY_ID_LENGTH // 2)


def new_secret() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_SECRET_LENGTH))


def format_token(parts: TokenParts) -> str:
    body = f"{PREFIX}{parts.key_id}_{parts.secret}"
    return body + _checksum(body)


def parse_token(raw: str) -> TokenParts | None:
    """The token's parts, or None when it is malformed or its checksum is wrong."""
    match = _TOKEN_RE.match(raw)
    if match is None:
        return None
    key_id, secret, checksum = match.groups()
    body = f"{PREFIX}{key_id}_{secret}"
    if not hmac.compare_digest(_checksum(body), checksum):
        return None
    return TokenParts(key_id=key_id, secret=secret)


def current_pepper_id() -> str:
    return settings.API_TOKEN_PEPPER_ID


def secret_digest(secret: str, pepper_id: str) -> str | None:
    """HMAC-SHA256 of the secret under the named pepper; None if that pepper is gone."""
    pepper = settings.API_TOKEN_PEPPERS.get(pepper_id)
    if pepper is None:
        return None
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


def digest_matches(secret: str, pepper_id: str, expected: str) -> bool:
    digest = secret_digest(secret, pepper_id)
    # Compare even without a pepper so the time taken does not tell which case this is.
    return hmac.compare_digest(digest or "0" * 64, expected or "1" * 64) and digest is not None
