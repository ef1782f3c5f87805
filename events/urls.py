from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("", views.seminar_list, name="seminar_list"),
    path("seminars/<slug:slug>/", views.seminar_detail, name="seminar_detail"),
    path(
        "seminars/<slug:slug>/availability.json",
        views.seminar_availability,
        name="seminar_availability",
    ),
    path("seminars/<slug:slug>/register/", views.registration_create, name="registration_create"),
    path("registrations/<str:token>/", views.registration_detail, name="registration_detail"),
]
