from journeys import models
from workspaces.graphql.describe import described_enum

Channel = described_enum(
    models.Channel, name="Channel", description="The channel a touchpoint belongs to."
)
Phase = described_enum(
    models.Phase,
    name="Phase",
    description="When in the customer's life a touchpoint happens.",
    values={
        "PRE_PURCHASE": "Before the purchase: discovery and evaluation.",
        "PURCHASE": "While buying: demos, proposals, negotiation.",
        "POST_PURCHASE": "After the purchase: onboarding, use, renewal.",
    },
)
Seniority = described_enum(models.Seniority, name="Seniority", description="A person's seniority.")
JourneyMapStatus = described_enum(
    models.JourneyMap.Status,
    name="JourneyMapStatus",
    description="Where a journey map is in its life.",
    values={
        "DRAFT": "Being designed; analytics ignore it.",
        "PUBLISHED": "The map in use for its persona: accounts' stages follow it.",
        "ARCHIVED": "No longer in use; kept for history.",
    },
)
