"""Public pages of the trophies app (original French paths)."""

from django.urls import path  # noqa: F401 (the pages are added here)

app_name = "trophies"

urlpatterns: list = []
