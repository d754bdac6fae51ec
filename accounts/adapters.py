"""allauth customisation: Discord is the only way in, and only for members of the club."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError
from django.http import HttpRequest
from django.shortcuts import render

from accounts.models import User
from accounts.services import RoleIds, apply_member, display_name_of, may_sign_in
from catalog.models import ClubSettings
from questmaster.discord.validators import is_snowflake

logger = logging.getLogger(__name__)


def _refuse(request: HttpRequest, reason: str) -> ImmediateHttpResponse:
    club = ClubSettings.load()
    return ImmediateHttpResponse(
        render(
            request,
            "account/signin_refused.html",
            {"reason": reason, "guild_name": club.discord_guild_name},
            status=403,
        )
    )


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # No local sign-up: accounts come from Discord.
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:
        """The guild gate, before any user is created or logged in."""
        discord_id = sociallogin.account.uid
        if not is_snowflake(discord_id):
            raise _refuse(request, "invalid_id")
        member = sociallogin.account.extra_data.get("member")
        roles = RoleIds.current()
        known = (
            sociallogin.user
            if sociallogin.is_existing
            else User.objects.filter(discord_id=discord_id).first()
        )
        if not may_sign_in(member, roles):
            if known is not None:
                # Keep what Discord says: gone from the server, or without the roles.
                apply_member(known, member, roles=roles)
            raise _refuse(request, "not_in_guild" if member is None else "missing_role")
        if known is not None:
            apply_member(known, member, roles=roles)
            if not sociallogin.is_existing:
                # A member the site already knew (added by a GM, demo data, admin) signs in
                # for the first time: attach the Discord account to that user.
                sociallogin.connect(request, known)

    def populate_user(self, request: HttpRequest, sociallogin, data: dict) -> User:
        user = sociallogin.user
        member = sociallogin.account.extra_data.get("member") or {}
        user.discord_id = sociallogin.account.uid
        user.display_name = display_name_of(
            {**member, "user": member.get("user") or sociallogin.account.extra_data}
        )
        user.username = (sociallogin.account.extra_data.get("username") or "")[:32]
        return user

    def save_user(self, request: HttpRequest, sociallogin, form=None) -> User:
        user = super().save_user(request, sociallogin, form)
        apply_member(user, sociallogin.account.extra_data.get("member"))
        return user

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        logger.info("Discord sign-in failed: %s %r", error, exception)
        cancelled = error == AuthError.CANCELLED
        raise ImmediateHttpResponse(
            render(
                request,
                "account/signin_error.html",
                {"cancelled": cancelled},
                status=200 if cancelled else 400,
            )
        )
