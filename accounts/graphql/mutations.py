"""Ingestion and identity mutations: thin resolvers over accounts services."""

from typing import Annotated

import strawberry
import strawberry_django
from strawberry.types import Info

from accounts import ingestion, personas, services
from accounts.graphql.inputs import AccountMergeInput
from accounts.graphql.results import AccountsUpsertResult, IngestResult
from accounts.graphql.scalars import (
    AccountUpsertItemValue,
    AchievementItemValue,
    FeedbackItemValue,
    InteractionItemValue,
)
from accounts.graphql.types import AccountType, PersonaReassignmentType
from accounts.ingestion import ItemRejected
from journeys.graphql.types import PersonaType
from workspaces.access import Scope
from workspaces.graphql.base import current_workspace, load, load_per_item
from workspaces.graphql.permissions import requires


def _write():
    return requires(Scope.ACCOUNTS_WRITE)


@strawberry.type
class AccountsMutation:
    @strawberry_django.mutation(
        extensions=_write(),
        description="Store up to 1,000 interactions. Each item is accepted, a duplicate "
        "(its clientId was stored before: retries are safe) or rejected with reasons.",
    )
    def interactions_ingest(
        self,
        info: Info,
        items: Annotated[
            list[InteractionItemValue],
            strawberry.argument(description="The interactions, at most 1,000 per call."),
        ],
    ) -> IngestResult:
        # The items arrive as JSON objects, checked one by one by the pipeline.
        report = ingestion.interactions_ingest(workspace=current_workspace(info), items=items)
        return IngestResult.of(report)

    @strawberry_django.mutation(
        extensions=_write(),
        description="Store up to 1,000 milestone achievements, like interactionsIngest.",
    )
    def milestones_record(
        self,
        info: Info,
        items: Annotated[
            list[AchievementItemValue],
            strawberry.argument(description="The achievements, at most 1,000 per call."),
        ],
    ) -> IngestResult:
        report = ingestion.milestones_record(workspace=current_workspace(info), items=items)
        return IngestResult.of(report)

    @strawberry_django.mutation(
        extensions=_write(),
        description="Store up to 1,000 feedback responses (survey answers, ratings, "
        "comments), like interactionsIngest: each item is accepted, a duplicate or rejected "
        "with reasons (a score outside its instrument's scale, say).",
    )
    def feedback_record(
        self,
        info: Info,
        items: Annotated[
            list[FeedbackItemValue],
            strawberry.argument(description="Up to 1,000 responses, answered in this order."),
        ],
    ) -> IngestResult:
        report = ingestion.feedback_record(workspace=current_workspace(info), items=items)
        return IngestResult.of(report)

    @strawberry_django.mutation(
        extensions=_write(),
        description="Find or create up to 1,000 accounts by reference and set their fields.",
    )
    def accounts_upsert(
        self,
        info: Info,
        items: Annotated[
            list[AccountUpsertItemValue],
            strawberry.argument(description="The accounts, at most 1,000 per call."),
        ],
    ) -> AccountsUpsertResult:
        given = [item.get("persona") if isinstance(item, dict) else None for item in items]
        rows = load_per_item(info, given, PersonaType, field="persona")
        upserts = []
        for item, persona in zip(items, rows, strict=True):
            try:
                upserts.append(services.account_upsert_from_json(item, persona=persona))
            except ItemRejected as rejected:
                upserts.append(rejected)
        results = services.accounts_upsert(workspace=current_workspace(info), items=upserts)
        return AccountsUpsertResult.of(results)

    @strawberry_django.mutation(
        extensions=_write(),
        description="Move all history, contacts and ids of one account to another; the "
        "first is deleted.",
    )
    def account_merge(self, info: Info, input: AccountMergeInput) -> AccountType:
        source = load(info, input.source, AccountType, field="source")
        target = load(info, input.target, AccountType, field="target")
        return services.account_merge(source=source, target=target)

    @strawberry_django.mutation(
        extensions=_write(),
        description="Re-run the personas' matching rules over every account in the "
        "background (accounts whose persona is MANUAL are left alone), then recompute the "
        "current stages of those whose persona changed. Answered at once, QUEUED: follow "
        "its progress with `personaReassignment(id:)`. While one is queued or running, "
        "that one is answered.",
    )
    def personas_reassign(self, info: Info) -> PersonaReassignmentType:
        return personas.persona_reassignment_start(workspace=current_workspace(info))
