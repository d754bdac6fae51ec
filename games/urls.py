"""Game pages keep the original's French paths: announcements posted on Discord link to them."""

from django.urls import path

from games.views import dashboard, detail, editing, listing

app_name = "games"

urlpatterns = [
    path("tableau-de-bord/panneaux/", dashboard.stats_panel, name="dashboard_stats"),
    path("annonces/", listing.game_list, name="list"),
    path("annonces/evenement/<int:event_id>/", listing.event_games, name="event"),
    path("mes_annonces/", listing.my_games, name="mine"),
    path("mes_parties/", listing.my_parties, name="playing"),
    path("annonce/", editing.game_create, name="create"),
    path("annonces/<slug:slug>/", detail.game_detail, name="detail"),
    path("annonces/<slug:slug>/editer/", editing.game_edit, name="edit"),
    path("annonces/<slug:slug>/cloner/", editing.game_clone, name="clone"),
    path("annonces/<slug:slug>/statut/", editing.game_status, name="status"),
    path("annonces/<slug:slug>/inscription/", detail.register, name="register"),
    path("annonces/<slug:slug>/desinscription/", detail.leave, name="leave"),
    path("annonces/<slug:slug>/gerer/", detail.manage_players, name="manage"),
    path("annonces/<slug:slug>/sessions/ajouter/", detail.session_add, name="session_add"),
    path(
        "annonces/<slug:slug>/sessions/<int:session_id>/editer/",
        detail.session_edit,
        name="session_edit",
    ),
    path(
        "annonces/<slug:slug>/sessions/<int:session_id>/supprimer/",
        detail.session_delete,
        name="session_delete",
    ),
    path(
        "annonces/<slug:slug>/sessions/<int:session_id>/presences/",
        detail.session_attendance,
        name="session_attendance",
    ),
    path("annonces/<slug:slug>/notifier/", detail.notify, name="notify"),
    path("annonces/<slug:slug>/alert/", detail.report, name="report"),
    path("membres/recherche/", detail.member_search, name="member_search"),
]
