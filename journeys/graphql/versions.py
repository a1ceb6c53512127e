"""Map versions over GraphQL: the stored snapshots and the typed diff between two."""

import strawberry
from strawberry.scalars import JSON

from journeys import models, versions


def _ref(description: str):
    return strawberry.field(description=description)


@strawberry.type(name="VersionStageRef", description="A stage of one version.")
class StageRefType:
    key: str = _ref("The stage's identity across versions.")
    name: str = _ref("The stage's name in that version.")
    position: int = _ref("The stage's position in that version (1 is first).")


@strawberry.type(name="VersionStageMove", description="A stage whose place in the order changed.")
class StageMoveType:
    key: str = _ref("The stage's identity across versions.")
    name: str = _ref("The stage's name in the later version.")
    from_position: int = _ref("Its position in the earlier version.")
    to_position: int = _ref("Its position in the later version.")


@strawberry.type(name="VersionStageRename", description="A stage whose name changed.")
class StageRenameType:
    key: str = _ref("The stage's identity across versions.")
    position: int = _ref("Its position in the later version.")
    from_name: str = _ref("Its name in the earlier version.")
    to_name: str = _ref("Its name in the later version.")


@strawberry.type(
    name="VersionLaneChange",
    description="A lane of a stage (goal, actions, thoughts, emotion, pain points, "
    "opportunities, KPIs, owner, duration, description) that changed.",
)
class LaneChangeType:
    stage_key: str = _ref("The stage's identity across versions.")
    stage_name: str = _ref("The stage's name in the later version.")
    lane: str = _ref("The lane (stage field) that changed, e.g. emotion_score.")
    before: JSON | None = _ref("Its value in the earlier version.")
    after: JSON | None = _ref("Its value in the later version.")


@strawberry.type(name="VersionPlacement", description="A touchpoint placed in a stage.")
class PlacementRefType:
    touchpoint_key: str = _ref("The touchpoint's key.")
    stage_key: str = _ref("The stage's identity across versions.")
    stage_name: str = _ref("The stage's name.")


@strawberry.type(
    name="VersionPlacementMove", description="A touchpoint that left one stage for another."
)
class PlacementMoveType:
    touchpoint_key: str = _ref("The touchpoint's key.")
    from_stage_key: str = _ref("The stage it was placed in, in the earlier version.")
    from_stage_name: str = _ref("That stage's name.")
    to_stage_key: str = _ref("The stage it is placed in, in the later version.")
    to_stage_name: str = _ref("That stage's name.")


@strawberry.type(
    name="VersionMilestoneChange",
    description="An exit milestone added (no from stage), removed (no to stage) or moved.",
)
class MilestoneChangeType:
    milestone_key: str = _ref("The milestone's key.")
    from_stage_key: str | None = _ref("The stage it exited in the earlier version.")
    from_stage_name: str | None = _ref("That stage's name.")
    to_stage_key: str | None = _ref("The stage it exits in the later version.")
    to_stage_name: str | None = _ref("That stage's name.")


@strawberry.type(
    name="JourneyMapVersionDiff",
    description="What changed from one map version to another (docs/journeys.md).",
)
class VersionDiffType:
    from_number: int = _ref("The earlier version's number (argument a).")
    to_number: int = _ref("The later version's number (argument b).")
    stages_added: list[StageRefType] = _ref("Stages only the later version has.")
    stages_removed: list[StageRefType] = _ref("Stages only the earlier version has.")
    stages_moved: list[StageMoveType] = _ref(
        "Stages whose place among the stages both versions have changed."
    )
    stages_renamed: list[StageRenameType] = _ref("Stages whose name changed.")
    lane_changes: list[LaneChangeType] = _ref("Stage lanes whose content changed.")
    placements_added: list[PlacementRefType] = _ref("Touchpoints newly placed in a stage.")
    placements_removed: list[PlacementRefType] = _ref("Touchpoints no longer placed in a stage.")
    placements_moved: list[PlacementMoveType] = _ref("Touchpoints moved to another stage.")
    milestone_changes: list[MilestoneChangeType] = _ref("Exit milestones added, removed, moved.")


def diff_type(a: models.JourneyMapVersion, b: models.JourneyMapVersion) -> VersionDiffType:
    diff = versions.journey_map_version_diff(a=a, b=b)

    def rows(kind, items):
        return [kind(**vars(item)) for item in items]

    return VersionDiffType(
        from_number=a.number,
        to_number=b.number,
        stages_added=rows(StageRefType, diff.stages_added),
        stages_removed=rows(StageRefType, diff.stages_removed),
        stages_moved=rows(StageMoveType, diff.stages_moved),
        stages_renamed=rows(StageRenameType, diff.stages_renamed),
        lane_changes=rows(LaneChangeType, diff.lane_changes),
        placements_added=rows(PlacementRefType, diff.placements_added),
        placements_removed=rows(PlacementRefType, diff.placements_removed),
        placements_moved=rows(PlacementMoveType, diff.placements_moved),
        milestone_changes=rows(MilestoneChangeType, diff.milestone_changes),
    )
