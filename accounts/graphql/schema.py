import strawberry
import strawberry_django

from accounts.graphql.types import AccountConnection, AccountType, ContactConnection, ContactType
from workspaces.access import Scope
from workspaces.graphql.permissions import requires


def _read():
    return requires(Scope.ACCOUNTS_READ)


@strawberry.type
class AccountsQuery:
    accounts: AccountConnection = strawberry_django.connection(
        description="The workspace's accounts (customer companies).", extensions=_read()
    )
    contacts: ContactConnection = strawberry_django.connection(
        description="The workspace's contacts (people at accounts).", extensions=_read()
    )
    account: AccountType | None = strawberry_django.node(
        description="One account by its global id, with its timeline; null when there is none "
        "here.",
        extensions=_read(),
    )
    contact: ContactType | None = strawberry_django.node(
        description="One contact by its global id; null when there is none in this workspace.",
        extensions=_read(),
    )
