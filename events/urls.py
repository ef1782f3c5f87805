from django.urls import path, register_converter

from events import views, views_certificates, views_checkin, views_company, views_manage

app_name = "events"


class ManageTokenConverter:
    """The shape of a private link's token; anything else is a 404 before any query."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class CertificateCodeConverter(ManageTokenConverter):
    """A verification code as printed or typed (hyphens optional); anything else is a 404."""

    regex = "[A-Za-z0-9-]{1,40}"


register_converter(ManageTokenConverter, "manage_token")
register_converter(CertificateCodeConverter, "certificate_code")

urlpatterns = [
    path("", views.seminar_list, name="seminar_list"),
    path("seminars/<slug:slug>/", views.seminar_detail, name="seminar_detail"),
    path(
        "seminars/<slug:slug>/availability.json",
        views.seminar_availability,
        name="seminar_availability",
    ),
    path("checkin/", views_checkin.check_in_seminars, name="check_in_seminars"),
    path("checkin/<slug:slug>/", views_checkin.seminar_check_in, name="seminar_check_in"),
    path("seminars/<slug:slug>/register/", views.registration_create, name="registration_create"),
    path(
        "registrations/<manage_token:token>/",
        views_manage.registration_detail,
        name="registration_detail",
    ),
    path(
        "registrations/<manage_token:token>/cancel/",
        views_manage.registration_cancel,
        name="registration_cancel",
    ),
    path(
        "registrations/<manage_token:token>/change/",
        views_manage.registration_change,
        name="registration_change",
    ),
    path(
        "registrations/<manage_token:token>/substitute/",
        views_manage.registration_substitute,
        name="registration_substitute",
    ),
    path("company/", views_company.company_link_request, name="company_link_request"),
    path("company/<manage_token:token>/", views_company.company_detail, name="company_detail"),
    path(
        "company/<manage_token:token>/registrations/<int:registration_id>/cancel/",
        views_company.company_registration_cancel,
        name="company_registration_cancel",
    ),
    path(
        "company/<manage_token:token>/registrations/<int:registration_id>/substitute/",
        views_company.company_registration_substitute,
        name="company_registration_substitute",
    ),
    path(
        "company/<manage_token:token>/registrations/<int:registration_id>/certificate/",
        views_company.company_registration_certificate,
        name="company_registration_certificate",
    ),
    path(
        "registrations/<manage_token:token>/certificate/",
        views_certificates.registration_certificate,
        name="registration_certificate",
    ),
    path(
        "certificates/<certificate_code:code>/",
        views_certificates.certificate_verify,
        name="certificate_verify",
    ),
]
