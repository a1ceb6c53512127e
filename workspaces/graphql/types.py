import strawberry

from workspaces.graphql.describe import described, described_enum
from workspaces.models import Role as RoleChoices

Role = described_enum(
    RoleChoices,
    name="Role",
    description="A member's role in a workspace; each role can do everything the ones before "
    "it can.",
    values={
        "VIEWER": "Reads everything in the workspace.",
        "EDITOR": "Also writes: maps, events, reports.",
        "ADMIN": "Also manages API tokens and reads the audit log.",
    },
)


@described(
    slug="The workspace's slug (for the X-Workspace header).",
    name="The workspace's name.",
    role="The caller's role in it.",
)
@strawberry.type(description="A workspace the caller belongs to, with the caller's role in it.")
class WorkspaceMembership:
    slug: str
    name: str
    role: Role
    time_zone: str = strawberry.field(
        description="IANA time zone of the workspace: its report periods and schedules follow it."
    )


@described(
    username="The user's login name.",
    email="The user's email address.",
    memberships="Every workspace the user belongs to, with their role.",
)
@strawberry.type(description="The logged-in user and the workspace this request acts in.")
class Me:
    username: str
    email: str
    workspace: WorkspaceMembership | None = strawberry.field(
        description="The request's workspace: the X-Workspace header's, or the user's only one."
    )
    memberships: list[WorkspaceMembership]
