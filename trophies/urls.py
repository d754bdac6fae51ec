"""Public pages of the trophies app (original French paths)."""

from django.urls import path

from trophies import views

app_name = "trophies"

urlpatterns = [
    path("badges/", views.badge_list, name="mine"),
    path("badges/classement/", views.leaderboard, name="leaderboard"),
    path("badges/membres/", views.member_search, name="member_search"),
]
