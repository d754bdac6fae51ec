"""The club's statistics page (`/stats/`)."""

from django.urls import path

from games.statistics import views

app_name = "stats"

urlpatterns = [
    path("", views.index, name="index"),
]
