import factory
from django.utils import timezone

from analytics.models import Action, ListeningEvent
from catalog.tests.factories import SongFactory
from users.tests.factories import UserFactory


class ListeningEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListeningEvent

    user = factory.SubFactory(UserFactory)
    song = factory.SubFactory(SongFactory)
    action = Action.PLAY
    occurred_at = factory.LazyFunction(timezone.now)
    received_at = factory.LazyFunction(timezone.now)
    position_ms = 0
