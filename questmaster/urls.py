from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from games.views import listing

admin.site.site_header = _("QuestMaster administration")
admin.site.site_title = "QuestMaster"
admin.site.index_title = _("Back office")
admin.site.site_url = "/"

urlpatterns = [
    path("", listing.home, name="home"),
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("games.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
