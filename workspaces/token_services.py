"""Issuing, verifying, revoking and rolling API tokens."""

import ipaddress
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from workspaces import tokens
from workspaces.access import Scope
from workspaces.errors import field_error
from workspaces.models import ApiToken, Workspace
from workspaces.services import validated_save

DEFAULT_ROLL_GRACE = timedelta(hours=24)
MAX_ROLL_GRACE = timedelta(days=30)
MAX_ALLOWED_IPS = 50


@dataclass(frozen=True)
class IssuedToken:
    """A token and its plaintext, which exists only in this object: show it once."""

    token: ApiToken
    plaintext: str


def clean_scopes(scopes: Sequence[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(Scope))
    if unknown:
        raise field_error("scopes", f"Unknown scope(s): {', '.join(unknown)}.", "invalid_choice")
    if not scopes:
        raise field_error("scopes", "A token needs at least one scope.", "required")
    return sorted(set(scopes))


def clean_allowed_ips(allowed_ips: Sequence[str]) -> list[str]:
    if len(allowed_ips) > MAX_ALLOWED_IPS:
        raise field_error("allowed_ips", f"At most {MAX_ALLOWED_IPS} ranges.", "too_many")
    cleaned = []
    for index, value in enumerate(allowed_ips):
        try:
            cleaned.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError:
            raise field_error(
                "allowed_ips",
                f"Item {index} ({value!r}) is not an IP address or range.",
                "invalid",
            ) from None
    return cleaned


def check_expiry(expires_at: datetime | None) -> None:
    if expires_at is not None and timezone.is_naive(expires_at):
        raise field_error(
            "expires_at",
            "Give the time zone, e.g. 2026-05-01T09:30:00Z or +02:00.",
            "naive_datetime",
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise field_error("expires_at", "The expiry must be in the future.", "invalid")


def _new_secret(token: ApiToken) -> str:
    parts = tokens.TokenParts(key_id=token.key_id, secret=tokens.new_secret())
    token.pepper_id = tokens.current_pepper_id()
    token.secret_hash = tokens.secret_digest(parts.secret, token.pepper_id)
    return tokens.format_token(parts)


@transaction.atomic
def api_token_create(
    *,
    workspace: Workspace,
    created_by: AbstractBaseUser | None,
    name: str,
    scopes: Sequence[str],
    expires_at: datetime | None = None,
    allowed_ips: Sequence[str] = (),
    grantable: Collection[str] | None = None,
) -> IssuedToken:
    """Issue a token. A token that creates tokens can grant only its own scopes."""
    if grantable is not None and not set(scopes) <= set(grantable):
        beyond = ", ".join(sorted(set(scopes) - set(grantable)))
        raise field_error(
            "scopes", f"You cannot grant scopes you do not hold: {beyond}.", "forbidden"
        )
    check_expiry(expires_at)
    token = ApiToken(
        workspace=workspace,
        created_by=created_by,
        name=name,
        key_id=tokens.new_key_id(),
        scopes=clean_scopes(scopes),
        allowed_ips=clean_allowed_ips(allowed_ips),
        expires_at=expires_at,
    )
    plaintext = _new_secret(token)
    return IssuedToken(validated_save(token), plaintext)


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise field_error(None, "This token is already revoked.", "invalid_transition")
    token.revoked_at = timezone.now()
    return validated_save(token)


@transaction.atomic
def api_token_roll(*, token: ApiToken, grace: timedelta = DEFAULT_ROLL_GRACE) -> IssuedToken:
    """Give the token a new secret; the old one keeps working for the grace period."""
    if not timedelta(0) <= grace <= MAX_ROLL_GRACE:
        raise field_error("grace_hours", "The grace period must be 0 to 720 hours.", "invalid")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not token.is_active(timezone.now()):
        raise field_error(None, "Only an active token can be rolled.", "invalid_transition")
    token.previous_secret_hash = token.secret_hash
    token.previous_pepper_id = token.pepper_id
    token.previous_valid_until = timezone.now() + grace
    plaintext = _new_secret(token)
    return IssuedToken(validated_save(token), plaintext)


def _ip_allowed(token: ApiToken, client_ip: str | None) -> bool:
    if not token.allowed_ips:
        return True
    try:
        address = ipaddress.ip_address(client_ip or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in token.allowed_ips)


def _matching_secret(token: ApiToken, secret: str, now: datetime) -> str | None:
    """Which stored secret the given one matches: "current", "previous" or None."""
    if tokens.digest_matches(secret, token.pepper_id, token.secret_hash):
        return "current"
    in_grace = token.previous_valid_until is not None and token.previous_valid_until > now
    if in_grace and tokens.digest_matches(
        secret, token.previous_pepper_id, token.previous_secret_hash
    ):
        return "previous"
    return None


def api_token_authenticate(raw: str, *, client_ip: str | None) -> ApiToken | None:
    """The active token this plaintext belongs to, or None - one answer for every failure."""
    parts = tokens.parse_token(raw)
    if parts is None:
        return None
    token = (
        ApiToken.objects.select_related("workspace", "created_by")
        .filter(key_id=parts.key_id)
        .first()
    )
    if token is None:
        tokens.digest_matches(parts.secret, tokens.current_pepper_id(), "")  # same work
        return None
    now = timezone.now()
    matched = _matching_secret(token, parts.secret, now)
    if matched is None or not token.is_active(now) or not _ip_allowed(token, client_ip):
        return None
    _record_use(token, parts.secret, matched, now)
    return token


def _record_use(token: ApiToken, secret: str, matched: str, now: datetime) -> None:
    """Throttle last-use writes, and re-hash a secret kept under a retired pepper."""
    changes = {}
    interval = timedelta(seconds=settings.API_TOKEN_LAST_USED_INTERVAL_SECONDS)
    if token.last_used_at is None or now - token.last_used_at >= interval:
        changes["last_used_at"] = now
    current_pepper = tokens.current_pepper_id()
    if matched == "current" and token.pepper_id != current_pepper:
        changes["pepper_id"] = current_pepper
        changes["secret_hash"] = tokens.secret_digest(secret, current_pepper)
    if changes:
        ApiToken.objects.filter(pk=token.pk).update(**changes)
        for name, value in changes.items():
            setattr(token, name, value)
