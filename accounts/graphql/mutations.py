"""Ingestion and identity mutations: thin resolvers over accounts services."""

from typing import Annotated

import strawberry
import strawberry_django
from strawberry.types import Info

from accounts import ingestion, personas, services
from accounts.graphql.inputs import (
    AccountMergeInput,
    AccountUpsertInput,
    FeedbackResponseInput,
    InteractionInput,
    MilestoneAchievementInput,
)
from accounts.graphql.results import AccountsUpsertResult, IngestResult
from accounts.graphql.types import AccountType, PersonaReassignmentType
from journeys.graphql.types import PersonaType
from workspaces.access import Scope
from workspaces.graphql.base import current_workspace, input_data, load
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
            list[InteractionInput],
            strawberry.argument(description="The interactions, at most 1,000 per call."),
        ],
    ) -> IngestResult:
        # The items arrive as ingestion.InteractionItem (see inputs.py).
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
            list[MilestoneAchievementInput],
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
            list[FeedbackResponseInput],
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
            list[AccountUpsertInput],
            strawberry.argument(description="The accounts, at most 1,000 per call."),
        ],
    ) -> AccountsUpsertResult:
        upserts = []
        for item in items:
            changes = input_data(item, exclude=("ref",))
            changes = {name: value for name, value in changes.items() if value is not None}
            if "persona" in changes:
                changes["persona"] = load(info, changes["persona"], PersonaType, field="persona")
            if "persona_source" in changes:
                changes["persona_source"] = changes["persona_source"].value
            upserts.append(services.AccountUpsert(ref=item.ref.to_ref(), changes=changes))
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
