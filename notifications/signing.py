"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

The secret is `whsec_` followed by the base64 of random key bytes. Each request carries
`webhook-id` (the event id), `webhook-timestamp` (Unix seconds of the attempt) and
`webhook-signature`: `v1,` and the base64 HMAC-SHA256, under the key, of
`{id}.{timestamp}.{body}`.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
KEY_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Webhook-Id": message_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature(secret, message_id, timestamp, body),
        "Content-Type": "application/json",
        "User-Agent": "Waymark-Webhooks/1",
    }
