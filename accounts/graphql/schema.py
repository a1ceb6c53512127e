from typing import Annotated

import strawberry
import strawberry_django
from django.core.exceptions import ValidationError
from graphql import GraphQLError
from strawberry.scalars import JSON
from strawberry.types import Info

from accounts import personas
from accounts.graphql.types import (
    AccountConnection,
    AccountType,
    ContactConnection,
    ContactType,
    PersonaMatchPreview,
    PersonaReassignmentType,
)
from workspaces.access import Scope
from workspaces.graphql.base import current_workspace
from workspaces.graphql.permissions import requires


def _read():
    return requires(Scope.ACCOUNTS_READ)


@strawberry.type
class AccountsQuery:
    accounts: AccountConnection = strawberry_django.connection(extensions=_read())
    contacts: ContactConnection = strawberry_django.connection(extensions=_read())
    account: AccountType | None = strawberry_django.node(extensions=_read())
    contact: ContactType | None = strawberry_django.node(extensions=_read())
    persona_reassignment: PersonaReassignmentType | None = strawberry_django.node(
        extensions=_read(), description="A persona reassignment, to follow its progress."
    )

    @strawberry_django.field(
        extensions=_read(),
        description="How many accounts the given matching rules (the grammar of "
        "Persona.matchingRules) would match, and a sample of them, without saving anything. "
        "Rules that break the grammar are refused (INVALID_RULES, with the place named).",
    )
    def persona_match_preview(
        self,
        info: Info,
        rules: Annotated[
            JSON, strawberry.argument(description='{"match": CONDITION}, as for a persona.')
        ],
    ) -> PersonaMatchPreview:
        try:
            preview = personas.persona_match_preview(workspace=current_workspace(info), rules=rules)
        except ValidationError as error:
            raise GraphQLError(
                " ".join(error.messages), extensions={"code": "INVALID_RULES", "field": "rules"}
            ) from None
        return PersonaMatchPreview(
            matching=preview.matching, accounts=preview.accounts, sample=preview.sample
        )
