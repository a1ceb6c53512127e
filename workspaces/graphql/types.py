import strawberry

from workspaces.models import Role as RoleChoices

Role = strawberry.enum(RoleChoices, name="Role")


@strawberry.type(description="A workspace the caller belongs to, with the caller's role in it.")
class WorkspaceMembership:
    slug: str
    name: str
    role: Role


@strawberry.type(description="The logged-in user and the workspace this request acts in.")
class Me:
    username: str
    email: str
    workspace: WorkspaceMembership | None = strawberry.field(
        description="The request's workspace: the X-Workspace header's, or the user's only one."
    )
    memberships: list[WorkspaceMembership]
