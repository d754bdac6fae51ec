"""Public pages of the catalog app (original French paths)."""

from django.urls import path  # noqa: F401 (the pages are added here)

app_name = "catalog"

urlpatterns: list = []
