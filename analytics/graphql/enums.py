"""GraphQL enums of the analytics API, built from the models and the parameter modules so
that a model, dimension or preset added there appears here without an edit."""

from enum import Enum

from analytics import models
from analytics.attribution import parameters
from workspaces.graphql.describe import described_enum


def parameter_enum(name: str, values, description: str, value_descriptions: dict[str, str]):
    """FIRST_TOUCH -> "first_touch": GraphQL names are the upper-cased stored values. A
    value added to the parameters module needs its description here, or the schema fails."""
    python_enum = Enum(name, [(value.upper(), value) for value in values], module=__name__)
    return described_enum(
        python_enum,
        name=name,
        description=description,
        values={value.upper(): text for value, text in value_descriptions.items()},
    )


ReportKind = described_enum(
    models.ReportKind,
    name="ReportKind",
    description="Which analysis a report runs.",
    values={
        "ATTRIBUTION": "Multi-touch attribution of conversions to touches (docs/attribution.md).",
        "RETENTION": "Retention cohorts: how many accounts stay active, period by period.",
        "FUNNEL": "Stage funnel: entered, advanced and dropped per stage of a map.",
        "PATHS": "The most common touchpoint sequences before conversion.",
        "MAP_FIT": "The designed map against observed behaviour.",
    },
)
ReportStatus = described_enum(
    models.Report.Status,
    name="ReportStatus",
    description="Where a report is in its life.",
    values={
        "QUEUED": "Waiting for a worker.",
        "RUNNING": "Being computed; see progress.",
        "SUCCEEDED": "Done: the result can be read.",
        "FAILED": "Could not be computed; see error.",
    },
)
ReportSchedule = described_enum(
    models.ReportDefinition.Schedule,
    name="ReportSchedule",
    description="How often a saved report runs by itself.",
    values={
        "NONE": "Only when run by hand (reportDefinitionRun).",
        "DAILY": "Every day.",
        "WEEKLY": "Every week.",
    },
)

AttributionModel = parameter_enum(
    "AttributionModel",
    parameters.MODELS,
    "How credit for a conversion is split between the touches before it.",
    {
        "first_touch": "All credit to the first touch.",
        "last_touch": "All credit to the last touch.",
        "linear": "Equal credit to every touch.",
        "time_decay": "More credit to recent touches: halves every halfLifeDays.",
        "position_based": "Fixed shares to the first and last touch, the rest split evenly.",
        "w_shaped": "30% each to the first touch, the lead and the opportunity touch, 10% "
        "to the others.",
        "full_path": "W-shaped plus a share for the touch before the deal closed.",
        "markov": "Data-driven: each state's removal effect in a Markov chain.",
        "shapley": "Data-driven: each state's Shapley value in the conversion game.",
    },
)
AttributionDimension = parameter_enum(
    "AttributionDimension",
    parameters.DIMENSIONS,
    "What the credited rows are grouped by.",
    {
        "touchpoint": "By touchpoint.",
        "channel": "By the touchpoint's channel.",
        "campaign": "By the interaction's campaign.",
        "stage": "By the stage of the account's map the touch happened in.",
        "persona": "By the account's persona.",
    },
)
PositionPreset = parameter_enum(
    "PositionPreset",
    parameters.POSITION_PRESETS,
    "Shares of the first and last touch in the position-based model: U_SHAPED 40/40, "
    "J_SHAPED 20/60, INVERSE_J 60/20; the middle touches share the rest.",
    {
        "u_shaped": "40% first, 40% last.",
        "j_shaped": "20% first, 60% last.",
        "inverse_j": "60% first, 20% last.",
    },
)
MarkovState = parameter_enum(
    "MarkovState",
    parameters.MARKOV_STATES,
    "What a state of the Markov chain (and a player of the Shapley game) is.",
    {"channel": "The touchpoint's channel.", "touchpoint": "The touchpoint itself."},
)
