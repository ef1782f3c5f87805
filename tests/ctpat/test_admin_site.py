"""The admin as CBP staff read it: the site's name, its sections and the sign-in's fields."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", password="correct horse battery")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("en", ["CTPAT Seminars — CBP staff", "Sign-in lock-outs", "Two-factor devices"]),
        ("es", ["Seminarios CTPAT — personal de CBP", "Bloqueos de inicio de sesión"]),
    ],
)
def test_admin_index_names_the_site_and_its_sections_for_staff(superuser_client, language, names):
    html = superuser_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language).content
    html = html.decode()
    for name in names:
        assert name in html
    for raw in ("Django administration", "Django site admin", ">Axes<", "Otp_Totp", "OTP_TOTP"):
        assert raw not in html


def test_admin_sign_in_page_names_the_site(client):
    html = client.get(reverse("admin:login")).content.decode()
    assert "CTPAT Seminars — CBP staff" in html
    assert "Django" not in html
