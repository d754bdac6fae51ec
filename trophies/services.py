from django.db import IntegrityError, transaction
from django.db.models import F

from trophies.models import Award, Trophy, UserTrophy
from trophies.signals import badges_changed


def award_trophy(user, trophy_id: int, *, amount: int = 1) -> None:
    """Give `amount` of a badge (a unique badge at most once), race-free.

    The increment is a single UPDATE; a first award that races another one falls back to the
    UPDATE when the unique (user, trophy) constraint says the row now exists.
    """
    trophy = Trophy.objects.get(pk=trophy_id)
    badges_changed([user.pk])
    held = UserTrophy.objects.filter(user=user, trophy=trophy)
    if trophy.unique:
        if not held.exists():
            try:
                with transaction.atomic():
                    UserTrophy.objects.create(user=user, trophy=trophy, quantity=1)
            except IntegrityError:
                pass
        return
    if held.update(quantity=F("quantity") + amount):
        return
    try:
        with transaction.atomic():
            UserTrophy.objects.create(user=user, trophy=trophy, quantity=amount)
    except IntegrityError:
        held.update(quantity=F("quantity") + amount)


def award_for_game(game, user, trophy_id: int) -> bool:
    """Give `user` the badge `trophy_id` for `game`, at most once per (game, member, badge).

    Returns whether it was given now. The unique award row is the guard: a second call, or a
    concurrent one, finds it and gives nothing."""
    try:
        with transaction.atomic():
            Award.objects.create(game=game, user=user, trophy_id=trophy_id)
    except IntegrityError:
        return False
    award_trophy(user, trophy_id)
    return True
