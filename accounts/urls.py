from allauth.account.views import LogoutView
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.sign_in, name="sign_in"),
    path("login/demo/", views.demo_sign_in, name="demo_sign_in"),
    path("logout/", LogoutView.as_view(), name="sign_out"),
    path("membres/<int:pk>/", views.profile, name="profile"),
    path("membres/<int:pk>/modifier/", views.profile_edit, name="profile_edit"),
]
