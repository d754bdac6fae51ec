from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from accounts.demo import DEMO_PERSONAS
from accounts.forms import BioForm
from accounts.models import User
from games.models import GameSession
from games.statistics.member import member_games
from trophies.models import UserTrophy

FAVOURITE_SYSTEMS = 3


def dev_sign_in_enabled() -> bool:
    """Demo sign-in exists only in development, when no Discord application is configured."""
    return settings.DEBUG and not settings.DISCORD_CLIENT_ID


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@require_GET
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    personas = []
    if dev_sign_in_enabled():
        known = User.objects.in_bulk(
            [p.discord_id for p in DEMO_PERSONAS.values()], field_name="discord_id"
        )
        personas = [
            {"key": key, "label": p.label, "user": known[p.discord_id]}
            for key, p in DEMO_PERSONAS.items()
            if p.discord_id in known
        ]
    return render(
        request,
        "account/sign_in.html",
        {
            "next": next_url,
            "discord_configured": bool(settings.DISCORD_CLIENT_ID),
            "personas": personas,
            "dev_sign_in": dev_sign_in_enabled(),
        },
    )


@require_POST
def demo_sign_in(request: HttpRequest) -> HttpResponse:
    if not dev_sign_in_enabled():
        raise Http404
    persona = DEMO_PERSONAS.get(request.POST.get("persona", ""))
    user = persona and User.objects.filter(discord_id=persona.discord_id).first()
    if not user:
        messages.error(request, _("Unknown demo member: load the demo data first."))
        return redirect("accounts:sign_in")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Signed in as %(name)s (demo).") % {"name": user.display_name})
    return redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)


# --- member profiles (signed-in members only: the original has no profile page) ----------------


def _get_member_for_edit(request: HttpRequest, pk: int) -> User:
    """The member whose profile `request.user` may edit: only their own."""
    member = get_object_or_404(User, pk=pk)
    if member.pk != request.user.pk:
        raise PermissionDenied(_("You can only edit your own profile."))
    return member


@require_safe
@login_required
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    games = member_games(member).select_related("system").order_by("-date")
    run = games.filter(as_gm=True)
    # Played: a seat, or a session they were marked present at (the dashboard's definition).
    played = games.filter(as_gm=False)
    systems = (
        GameSession.objects.counted()
        .ended()
        .played_by(member)
        .values("game__system__name")
        .annotate(sessions=Count("pk"))
        .order_by("-sessions", "game__system__name")[:FAVOURITE_SYSTEMS]
    )
    badges = UserTrophy.objects.held_by(member)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "member": member,
            "games_run": run,
            "games_played": played,
            "systems": systems,
            "badges": badges,
            "is_me": member.pk == request.user.pk,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = _get_member_for_edit(request, pk)
    form = BioForm(request.POST if request.method == "POST" else None, instance=member)
    if request.method == "POST" and form.is_valid():
        member.bio = form.cleaned_data["bio"]
        member.save(update_fields=["bio"])
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile", pk=member.pk)
    return render(request, "accounts/user_form.html", {"member": member, "form": form})
