"""Public pages of the catalog app (original French paths)."""

from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("systemes/", views.system_list, name="systems"),
    path("vtts/", views.vtt_list, name="vtts"),
]
