import strawberry

from journeys import models

Channel = strawberry.enum(models.Channel, name="Channel")
Phase = strawberry.enum(models.Phase, name="Phase")
Seniority = strawberry.enum(models.Seniority, name="Seniority")
JourneyMapStatus = strawberry.enum(models.JourneyMap.Status, name="JourneyMapStatus")
