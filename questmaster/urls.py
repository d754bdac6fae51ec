from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from games.views import dashboard

# `admin.site` is `questmaster.admin_site.QuestMasterAdminSite` (titles, refusal for non-staff),
# installed through `questmaster.apps.QuestMasterAdminConfig` in INSTALLED_APPS.

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("games.urls")),
    path("stats/", include("games.statistics.urls")),
    path("", include("trophies.urls")),
    path("", include("catalog.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
