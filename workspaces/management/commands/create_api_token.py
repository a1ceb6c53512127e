"""`manage.py create_api_token --workspace SLUG --name NAME --scopes a,b [...]` for operators.

The token is printed alone on the last line, so `... | tail -1` captures it. Without
--created-by it is an operator's token: it acts with its scopes alone, whatever happens
to the workspace's members.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from strawberry import relay

from workspaces import token_services
from workspaces.access import Scope
from workspaces.audit import audit_record
from workspaces.errors import describe
from workspaces.models import AuditEvent, Membership, Role, Workspace


def _split(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


class Command(BaseCommand):
    help = (
        "Issue an API token for a partner integration and print it (last line, alone). "
        "It is shown only this once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help="Slug of the token's workspace.")
        parser.add_argument("--name", required=True, help="What the token is for, e.g. 'CRM sync'.")
        parser.add_argument(
            "--scopes",
            required=True,
            help=f"Comma-separated scopes: {', '.join(Scope)}.",
        )
        parser.add_argument(
            "--expires-in-days",
            type=int,
            help="Days until the token expires (default: never).",
        )
        parser.add_argument(
            "--allowed-ips",
            help="Comma-separated IP addresses or CIDR ranges it may be used from "
            "(default: anywhere).",
        )
        parser.add_argument(
            "--created-by",
            help="Username of a workspace member the token acts for: it can then do no "
            "more than that member's current role allows, and dies with the user. "
            "Default: an operator's token, acting with its scopes alone.",
        )

    def handle(
        self,
        *args,
        workspace: str,
        name: str,
        scopes: str,
        expires_in_days: int | None,
        allowed_ips: str | None,
        created_by: str | None,
        **options,
    ):
        target = Workspace.objects.filter(slug=workspace).first()
        if target is None:
            raise CommandError(f'No workspace with slug "{workspace}".')

        scope_list = _split(scopes)
        unknown = [scope for scope in scope_list if scope not in set(Scope)]
        if unknown:
            raise CommandError(
                f"Unknown scope(s): {', '.join(unknown)}. Known scopes: {', '.join(Scope)}."
            )
        if not scope_list:
            raise CommandError(f"Name at least one scope in --scopes: {', '.join(Scope)}.")

        expires_at = None
        if expires_in_days is not None:
            if expires_in_days < 1:
                raise CommandError("--expires-in-days must be 1 or more.")
            try:
                expires_at = timezone.now() + timedelta(days=expires_in_days)
            except OverflowError:
                raise CommandError("--expires-in-days is too large.") from None

        creator, role = None, None
        if created_by is not None:
            creator, role = self._creator(created_by, target)

        try:
            with transaction.atomic():
                issued = token_services.api_token_create(
                    workspace=target,
                    created_by=creator,
                    name=name,
                    scopes=scope_list,
                    expires_at=expires_at,
                    allowed_ips=_split(allowed_ips),
                )
                audit_record(
                    workspace=target,
                    operation="apiTokenCreate",
                    source=AuditEvent.Source.COMMAND,
                    object_ids=[relay.to_base64("ApiToken", issued.token.pk)],
                )
        except ValidationError as error:
            raise CommandError(f"Could not create the token: {describe(error)}") from error

        self._describe(issued.token, role)
        self.stdout.write(issued.plaintext)

    def _creator(self, username: str, workspace: Workspace):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(
                f'No user with username "{username}"; leave out --created-by for an '
                "operator's token."
            ) from None
        role = (
            Membership.objects.filter(workspace=workspace, user=user)
            .values_list("role", flat=True)
            .first()
        )
        if role is None:
            raise CommandError(
                f'User "{username}" is not a member of workspace "{workspace.slug}": a token '
                "acts with its creator's role, so it could do nothing."
            )
        return user, Role(role)

    def _describe(self, token, role: Role | None) -> None:
        lines = [
            f'Created API token "{token.name}" ({token.prefix}) in workspace '
            f'"{token.workspace.slug}" with scopes {", ".join(token.scopes)}.',
            f"Expires: {token.expires_at:%Y-%m-%d %H:%M UTC}."
            if token.expires_at
            else "Expires: never.",
            f"Allowed from: {', '.join(token.allowed_ips)}."
            if token.allowed_ips
            else "Allowed from: anywhere.",
        ]
        if token.created_by is None:
            lines.append("Acts as: operator's token (its scopes alone).")
        else:
            lines.append(
                f"Acts as: {token.created_by.get_username()} (currently {role.label.lower()});"
                " never more than that user's role allows."
            )
            beyond = [scope for scope in token.scopes if not role.allows(Scope(scope).role)]
            if beyond:
                lines.append(
                    f"Warning: {', '.join(beyond)} need(s) a higher role than "
                    f"{role.label.lower()}; the token cannot use them until the user is promoted."
                )
        lines.append("Store the token now; it is not shown again:")
        for line in lines:
            self.stdout.write(line)
