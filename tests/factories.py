import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts import models as accounts
from journeys import models as journeys
from workspaces.models import Membership, Role, Workspace


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("secret-pass")


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR


class PersonaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = journeys.Persona

    workspace = factory.SubFactory(WorkspaceFactory)
    key = factory.Sequence(lambda n: f"persona-{n}")
    name = factory.Sequence(lambda n: f"Persona {n}")


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = journeys.Touchpoint

    workspace = factory.SubFactory(WorkspaceFactory)
    key = factory.Sequence(lambda n: f"touchpoint-{n}")
    name = factory.Sequence(lambda n: f"Touchpoint {n}")
    channel = journeys.Channel.WEB
    phase = journeys.Phase.PRE_PURCHASE


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = journeys.Milestone

    workspace = factory.SubFactory(WorkspaceFactory)
    key = factory.Sequence(lambda n: f"milestone-{n}")
    name = factory.Sequence(lambda n: f"Milestone {n}")


class JourneyMapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = journeys.JourneyMap

    workspace = factory.SubFactory(WorkspaceFactory)
    persona = factory.SubFactory(PersonaFactory, workspace=factory.SelfAttribute("..workspace"))
    name = factory.Sequence(lambda n: f"Journey {n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = journeys.Stage

    journey_map = factory.SubFactory(JourneyMapFactory)
    workspace = factory.SelfAttribute("journey_map.workspace")
    position = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Stage {n}")


class StageTouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = journeys.StageTouchpoint

    stage = factory.SubFactory(StageFactory)
    workspace = factory.SelfAttribute("stage.workspace")
    touchpoint = factory.SubFactory(
        TouchpointFactory, workspace=factory.SelfAttribute("..workspace")
    )
    position = factory.Sequence(lambda n: n + 1)


class StageMilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = journeys.StageMilestone

    stage = factory.SubFactory(StageFactory)
    workspace = factory.SelfAttribute("stage.workspace")
    journey_map = factory.SelfAttribute("stage.journey_map")
    milestone = factory.SubFactory(MilestoneFactory, workspace=factory.SelfAttribute("..workspace"))


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = accounts.Account

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Account {n}")
    domain = factory.Sequence(lambda n: f"account{n}.example.com")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = accounts.Contact

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Sequence(lambda n: f"Person {n}")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = accounts.Interaction

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    touchpoint = factory.SubFactory(
        TouchpointFactory, workspace=factory.SelfAttribute("..workspace")
    )
    occurred_at = factory.LazyFunction(timezone.now)
    received_at = factory.LazyFunction(timezone.now)
    client_id = factory.Sequence(lambda n: f"interaction-{n}")


class MilestoneAchievementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = accounts.MilestoneAchievement

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    milestone = factory.SubFactory(MilestoneFactory, workspace=factory.SelfAttribute("..workspace"))
    occurred_at = factory.LazyFunction(timezone.now)
    received_at = factory.LazyFunction(timezone.now)
    client_id = factory.Sequence(lambda n: f"achievement-{n}")
