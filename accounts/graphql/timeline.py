"""`timeline` of Account and Contact: interactions and milestone achievements in one
cursor-paginated list (the selector is accounts.timeline.account_timeline)."""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Union

import strawberry
from django.db.models import QuerySet
from graphql import FieldNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode
from strawberry import relay
from strawberry.types import Info
from strawberry_django.optimizer import OptimizerStore, optimize

from accounts import models
from accounts import timeline as selectors
from journeys.graphql.enums import Channel
from workspaces.access import Scope
from workspaces.graphql.permissions import get_access

if TYPE_CHECKING:
    from accounts.graphql.types import (
        FeedbackResponseType,
        InteractionType,
        MilestoneAchievementType,
    )

DEFAULT_PAGE_SIZE = 50

TimelineOrder = strawberry.enum(
    selectors.TimelineOrder,
    name="TimelineOrder",
    description="NEWEST_FIRST (the default) or OLDEST_FIRST. At equal times an interaction "
    "comes before the milestone achievement it may have caused (oldest first), then lower "
    "ids first; newest first is exactly the reverse.",
)
TimelineEntryKind = strawberry.enum(
    selectors.EntryKind, name="TimelineEntryKind", description="The kinds of timeline entries."
)

TimelineEntry = Annotated[
    Union[  # noqa: UP007 - lazy types do not support `|` on both sides
        Annotated["InteractionType", strawberry.lazy("accounts.graphql.types")],
        Annotated["MilestoneAchievementType", strawberry.lazy("accounts.graphql.types")],
        Annotated["FeedbackResponseType", strawberry.lazy("accounts.graphql.types")],
    ],
    strawberry.union(
        "TimelineEntry",
        description="An interaction, a milestone achievement or a feedback response: branch "
        "on __typename.",
    ),
]


@strawberry.input(
    name="TimelineFilter",
    description="Which entries to show. Leaving a filter out (or giving an empty list) does "
    "not filter. touchpoints and channels select interactions, milestones selects milestone "
    "achievements: once either side is selected, entries of the other kind are left out "
    "unless their side is selected too (touchpoints: [A], milestones: [M] shows interactions "
    "at A and achievements of M); within a side every given filter must match. stage, kinds "
    "and the time range apply to both kinds. Ids of another type are refused (INVALID_ID); "
    "ids of rows outside the workspace match nothing.",
)
class TimelineFilter:
    kinds: list[TimelineEntryKind] | None = strawberry.field(
        default=None, description="Only entries of these kinds."
    )
    touchpoints: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Only interactions at these touchpoints (Touchpoint ids)."
    )
    channels: list[Channel] | None = strawberry.field(
        default=None, description="Only interactions at touchpoints of these channels."
    )
    milestones: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Only achievements of these milestones (Milestone ids)."
    )
    stage: relay.GlobalID | None = strawberry.field(
        default=None,
        description="A Stage id: only interactions at touchpoints placed in the stage and "
        "achievements of milestones that mark its exit.",
    )
    occurred_after: datetime | None = strawberry.field(
        default=None, description="Only entries at or after this time (UTC when no offset)."
    )
    occurred_before: datetime | None = strawberry.field(
        default=None, description="Only entries strictly before this time (UTC when no offset)."
    )


@strawberry.type(name="TimelineEdge", description="A timeline entry and its cursor.")
class TimelineEdge:
    cursor: str = strawberry.field(description="Pass it as `after` to read what follows it.")
    node: TimelineEntry


@strawberry.type(name="TimelineConnection", description="One page of a timeline.")
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: relay.PageInfo = strawberry.field(
        description="hasNextPage and endCursor continue forwards; hasPreviousPage is true "
        "after a cursor (the timeline has no backward paging)."
    )


TIMELINE_DESCRIPTION = (
    "Interactions and milestone achievements in time order, newest first unless "
    "order: OLDEST_FIRST; at equal times an interaction precedes a milestone achievement "
    "(oldest first), then the lower id. Page forwards with first (default 50, at most the "
    "page limit) and after: pageInfo.endCursor; cursors are positions, so events recorded "
    "between two pages neither repeat nor shift entries, and a cursor is only valid for "
    "the order that gave it out (else INVALID_CURSOR). Costs the same number of SQL queries "
    "whatever the page size. See TimelineFilter for the filters."
)


def _invalid_id(field: str, expected: str) -> GraphQLError:
    return GraphQLError(
        f"filter.{field} takes ids of {expected} rows.",
        extensions={"code": "INVALID_ID", "argument": f"filter.{field}"},
    )


def _pks(ids: list[relay.GlobalID] | None, type_name: str, field: str) -> frozenset[int]:
    pks = set()
    for global_id in ids or ():
        node_id = global_id.node_id
        if global_id.type_name != type_name or not node_id.isdigit() or len(node_id) > 18:
            raise _invalid_id(field, type_name)
        pks.add(int(node_id))
    return frozenset(pks)


def _filters(value: TimelineFilter | None) -> selectors.TimelineFilters:
    if value is None:
        return selectors.TimelineFilters()
    stage = _pks([value.stage] if value.stage is not None else [], "Stage", "stage")
    return selectors.TimelineFilters(
        kinds=frozenset(selectors.EntryKind(kind) for kind in value.kinds or ()),
        touchpoint_ids=_pks(value.touchpoints, "Touchpoint", "touchpoints"),
        channels=frozenset(str(channel.value) for channel in value.channels or ()),
        milestone_ids=_pks(value.milestones, "Milestone", "milestones"),
        stage_id=next(iter(stage), None),
        occurred_after=value.occurred_after,
        occurred_before=value.occurred_before,
    )


def _subfields(info: Info, field_nodes: list[FieldNode], name: str) -> list[FieldNode]:
    """The `name` fields selected under `field_nodes`, through fragments and aliases."""
    fragments = info._raw_info.fragments
    found: list[FieldNode] = []
    pending = [node.selection_set for node in field_nodes if node.selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                if selection.name.value == name:
                    found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                pending.append(fragments[selection.name.value].selection_set)
    return found


def _optimizer(info: Info) -> Callable[[QuerySet], QuerySet]:
    """Let strawberry-django's optimizer load what the page's nodes select, the way it
    does for a connection: only() the selected columns, and a workspace-scoped prefetch
    per selected relation (one query per relation, whatever the page size)."""
    raw = info._raw_info
    edge_type = raw.schema.get_type("TimelineEdge")
    nodes = _subfields(info, _subfields(info, list(raw.field_nodes), "edges"), "node")
    path = (
        raw.path.add_key("edges", "TimelineConnection").add_key(0).add_key("node", "TimelineEdge")
    )
    names = {
        models.Interaction: "Interaction",
        models.MilestoneAchievement: "MilestoneAchievement",
        models.FeedbackResponse: "FeedbackResponse",
    }

    def prepare(queryset: QuerySet) -> QuerySet:
        node_info = raw._replace(
            field_name="node",
            field_nodes=nodes,
            return_type=raw.schema.get_type(names[queryset.model]),
            parent_type=edge_type,
            path=path,
        )
        # The cursor needs occurred_at even when the client does not select it.
        return optimize(queryset, node_info, store=OptimizerStore.with_hints(only="occurred_at"))

    return prepare


def resolve_timeline(
    info: Info,
    *,
    account: models.Account | None = None,
    contact: models.Contact | None = None,
    owner: models.Account | models.Contact,
    first: int,
    after: str | None,
    filter: TimelineFilter | None,
    order: selectors.TimelineOrder,
) -> TimelineConnection:
    access = get_access(info)
    max_page = info.schema.config.relay_max_results
    if first > max_page:  # refused at validation already; kept for direct calls
        raise GraphQLError(
            f"Argument 'first' of timeline cannot be higher than {max_page}.",
            extensions={"code": "PAGE_TOO_LARGE", "maxPageSize": max_page},
        )
    if first < 0:
        raise GraphQLError(
            "Argument 'first' of timeline must not be negative.",
            extensions={"code": "INVALID_PAGE_SIZE"},
        )
    # The owner was loaded through its type's workspace-scoped get_queryset; this only
    # keeps the timeline empty should a row ever arrive here by another path.
    workspace = access.workspace
    if (
        workspace is None
        or owner.workspace_id != workspace.pk
        or not access.can(Scope.ACCOUNTS_READ)
    ):
        page = selectors.TimelinePage(entries=[], has_next_page=False)
    else:
        try:
            page = selectors.account_timeline(
                workspace=workspace,
                account=account,
                contact=contact,
                first=first,
                after_cursor=after,
                filters=_filters(filter),
                order=order,
                prepare=_optimizer(info),
            )
        except selectors.InvalidCursor as error:
            raise GraphQLError(
                f"Argument 'after' of timeline is not a cursor of this timeline: {error} "
                "Use pageInfo.endCursor or an edge's cursor, with the same order.",
                extensions={"code": "INVALID_CURSOR"},
            ) from error
    return TimelineConnection(
        edges=[TimelineEdge(cursor=entry.cursor, node=entry.event) for entry in page.entries],
        page_info=relay.PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=after is not None,
            start_cursor=page.start_cursor,
            end_cursor=page.end_cursor,
        ),
    )


FirstArgument = Annotated[
    int,
    strawberry.argument(
        description="Entries per page; over the page limit (100 unless configured): PAGE_TOO_LARGE."
    ),
]
AfterArgument = Annotated[
    str | None, strawberry.argument(description="The cursor of the entry to continue after.")
]
FilterArgument = Annotated[TimelineFilter | None, strawberry.argument(description="Filters.")]
OrderArgument = Annotated[
    TimelineOrder, strawberry.argument(description="NEWEST_FIRST (default) or OLDEST_FIRST.")
]


def account_timeline(
    root: models.Account,
    info: Info,
    first: FirstArgument = DEFAULT_PAGE_SIZE,
    after: AfterArgument = None,
    filter: FilterArgument = None,
    order: OrderArgument = TimelineOrder.NEWEST_FIRST,
) -> TimelineConnection:
    return resolve_timeline(
        info, account=root, owner=root, first=first, after=after, filter=filter, order=order
    )


def contact_timeline(
    root: models.Contact,
    info: Info,
    first: FirstArgument = DEFAULT_PAGE_SIZE,
    after: AfterArgument = None,
    filter: FilterArgument = None,
    order: OrderArgument = TimelineOrder.NEWEST_FIRST,
) -> TimelineConnection:
    return resolve_timeline(
        info, contact=root, owner=root, first=first, after=after, filter=filter, order=order
    )
