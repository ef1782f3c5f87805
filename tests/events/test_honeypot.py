import re

import pytest
from django.urls import reverse

from events.models import OutboundEmail, Registration
from tests.events.test_views import form_data, register_url

pytestmark = pytest.mark.django_db


def test_honeypot_rendered_hidden_from_people_and_keyboard(client, seminar):
    body = client.get(register_url(seminar)).content.decode()
    wrapper = re.search(r'<div[^>]*class="visually-hidden"[^>]*>(.*?)</div>\s*</div>', body, re.S)
    assert wrapper is not None
    assert 'aria-hidden="true"' in wrapper.group(0).split(">", 1)[0]
    field = re.search(r"<input[^>]*name=\"subject\"[^>]*>", body).group(0)
    assert 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field
    assert "Leave this field empty" in wrapper.group(1)


def test_honeypot_filled_refused_neutrally_nothing_saved(client, seminar, company):
    data = form_data(seminar, company) | {"subject": "Cheap watches http://spam.example"}
    response = client.post(register_url(seminar), data)
    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == [
        "We could not accept this form. Reload the page and try again."
    ]
    assert "subject" not in response.context["form"].errors
    assert not Registration.objects.exists()
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("sent", [None, ""], ids=["absent", "empty"])
def test_honeypot_absent_or_empty_registers(client, seminar, company, sent):
    data = form_data(seminar, company)
    if sent is not None:
        data["subject"] = sent
    response = client.post(register_url(seminar), data)
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert response["Location"] == reverse(
        "events:registration_detail", args=[registration.manage_token]
    )
