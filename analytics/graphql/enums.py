"""GraphQL enums of the analytics API, built from the models and the parameter modules so
that a model, dimension or preset added there appears here without an edit."""

from enum import Enum

import strawberry

from analytics import models
from analytics.attribution import parameters


def _enum(name: str, values, description: str):
    """FIRST_TOUCH -> "first_touch": GraphQL names are the upper-cased stored values."""
    python_enum = Enum(name, [(value.upper(), value) for value in values], module=__name__)
    return strawberry.enum(python_enum, name=name, description=description)


ReportKind = strawberry.enum(models.ReportKind, name="ReportKind")
ReportStatus = strawberry.enum(models.Report.Status, name="ReportStatus")
ReportSchedule = strawberry.enum(models.ReportDefinition.Schedule, name="ReportSchedule")

AttributionModel = _enum(
    "AttributionModel",
    parameters.MODELS,
    "How credit for a conversion is split between the touches before it.",
)
AttributionDimension = _enum(
    "AttributionDimension",
    parameters.DIMENSIONS,
    "What the credited rows are grouped by.",
)
PositionPreset = _enum(
    "PositionPreset",
    parameters.POSITION_PRESETS,
    "Shares of the first and last touch in the position-based model: U_SHAPED 40/40, "
    "J_SHAPED 20/60, INVERSE_J 60/20; the middle touches share the rest.",
)
MarkovState = _enum(
    "MarkovState",
    parameters.MARKOV_STATES,
    "What a state of the Markov chain (and a player of the Shapley game) is.",
)
