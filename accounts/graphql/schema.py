import strawberry
import strawberry_django

from accounts.graphql.health import JourneyHealthQuery
from accounts.graphql.types import AccountConnection, AccountType, ContactConnection, ContactType
from workspaces.access import Scope
from workspaces.graphql.permissions import requires


def _read():
    return requires(Scope.ACCOUNTS_READ)


@strawberry.type
class AccountsQuery(JourneyHealthQuery):
    accounts: AccountConnection = strawberry_django.connection(extensions=_read())
    contacts: ContactConnection = strawberry_django.connection(extensions=_read())
    account: AccountType | None = strawberry_django.node(extensions=_read())
    contact: ContactType | None = strawberry_django.node(extensions=_read())
