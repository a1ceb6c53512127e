"""What ingestion mutations answer: one line per item, in the order sent."""

import strawberry

from accounts import ingestion, services
from accounts.graphql.types import AccountType
from workspaces.graphql.describe import described, described_enum

IngestStatus = described_enum(
    ingestion.ItemStatus,
    name="IngestStatus",
    description="What became of one item of a batch.",
    values={
        "ACCEPTED": "Stored.",
        "DUPLICATE": "Its client id was stored before: not stored again (a safe retry).",
        "REJECTED": "Not stored; errors say why.",
    },
)


@described(
    field="The item's field at fault (camelCase); null for the item as a whole.",
    message="What was wrong, for people.",
    code="Stable code of the problem, e.g. invalid, not_found, required.",
)
@strawberry.type(description="Why an item was rejected: the field (camelCase) and a code.")
class IngestError:
    field: str | None
    message: str
    code: str


def _errors(errors) -> list[IngestError]:
    return [IngestError(field=e.field, message=e.message, code=e.code) for e in errors or []]


@described(
    "What became of one item of the batch.",
    client_id="The item's clientId, as sent.",
    status="Stored, a duplicate, or rejected.",
    errors="Why it was rejected; empty otherwise.",
)
@strawberry.type
class IngestItem:
    index: int = strawberry.field(description="The item's position in the list sent (from 0).")
    client_id: str | None
    status: IngestStatus
    errors: list[IngestError]


@described(
    accepted="Items stored now.",
    duplicates="Items stored before (same clientId): not stored again.",
    rejected="Items not stored: see their errors.",
    items="One entry per item sent, in order.",
)
@strawberry.type(description="Accepted and duplicate items are stored (once); rejected are not.")
class IngestResult:
    accepted: int
    duplicates: int
    rejected: int
    items: list[IngestItem]

    @classmethod
    def of(cls, report: ingestion.IngestReport) -> "IngestResult":
        return cls(
            accepted=report.count(ingestion.ItemStatus.ACCEPTED),
            duplicates=report.count(ingestion.ItemStatus.DUPLICATE),
            rejected=report.count(ingestion.ItemStatus.REJECTED),
            items=[
                IngestItem(
                    index=item.index,
                    client_id=item.client_id,
                    status=item.status,
                    errors=_errors(item.errors),
                )
                for item in report.items
            ],
        )


@described(
    "What became of one account of the batch.",
    index="The item's position in the list sent (from 0).",
    errors="Why it was rejected; empty otherwise.",
)
@strawberry.type
class AccountUpsertItem:
    index: int
    account: AccountType | None = strawberry.field(description="Null when rejected.")
    errors: list[IngestError]


@described(
    "The outcome of accountsUpsert, item by item.", items="One entry per account sent, in order."
)
@strawberry.type
class AccountsUpsertResult:
    items: list[AccountUpsertItem]

    @classmethod
    def of(cls, results: list[services.UpsertResult]) -> "AccountsUpsertResult":
        return cls(
            items=[
                AccountUpsertItem(index=r.index, account=r.account, errors=_errors(r.errors))
                for r in results
            ]
        )
