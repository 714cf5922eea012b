"""Demo data step: a fitted model and personalised picks for every demo listener."""

from recommendations import services
from users.models import User

BATCH_SIZE = 500


def seed_recommendations_demo() -> dict:
    """Build the model from the demo listening data, then refresh every active user's picks.

    Safe to run again: it fits a new model and overwrites the picks.
    """
    model = services.recommendation_model_build()
    user_ids = list(User.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    refreshed = 0
    for start in range(0, len(user_ids), BATCH_SIZE):
        refreshed += services.user_picks_refresh(user_ids=user_ids[start : start + BATCH_SIZE])
    return {"model_id": model.pk if model else None, "users_refreshed": refreshed}
