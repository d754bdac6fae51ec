"""The back office: Django's admin site, with a clear refusal for members who are not staff."""

from functools import wraps

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _


class QuestMasterAdminSite(admin.AdminSite):
    site_header = _("QuestMaster administration")
    site_title = "QuestMaster"
    index_title = _("Back office")
    site_url = "/"
    login_template = "admin/operator_login.html"

    def is_refused_member(self, request: HttpRequest) -> bool:
        """Signed in (through Discord) but not staff: the password form would be no use to them.

        Anonymous visitors still get the login form: operator accounts sign in there."""
        return request.user.is_authenticated and not self.has_permission(request)

    def refuse_member(self, request: HttpRequest) -> HttpResponse:
        response = render(request, "admin/not_staff.html", status=403)
        add_never_cache_headers(response)
        return response

    def admin_view(self, view, cacheable=False):
        protected = super().admin_view(view, cacheable)

        # Outside Django's check, which would send the member to the login form.
        @wraps(protected)
        def inner(request, *args, **kwargs):
            if self.is_refused_member(request):
                return self.refuse_member(request)
            return protected(request, *args, **kwargs)

        return inner

    def login(self, request, extra_context=None):
        if self.is_refused_member(request):
            return self.refuse_member(request)
        return super().login(request, extra_context)
