from django.urls import path

from games import views

app_name = "games"

urlpatterns = [
    path("<slug:slug>/", views.game_detail, name="detail"),
]
