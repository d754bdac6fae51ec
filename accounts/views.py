from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.demo import DEMO_PERSONAS
from accounts.models import User


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
