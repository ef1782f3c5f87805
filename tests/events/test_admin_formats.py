"""The admin writes dates and times as the public pages do: one format for dates ("Jan. 18,
2027"), one for times ("9 a.m."), a time on one line (issue 15, item 12)."""

import re

from django.urls import reverse
from django.utils import formats, timezone

from events.templatetags.events_i18n import time_range


def _date_then_time(moment) -> str:
    moment = timezone.localtime(moment)
    return (
        f"{formats.date_format(moment, 'DATE_FORMAT')}<br>"
        f'<span class="time">{formats.time_format(moment, "TIME_FORMAT")}</span>'
    )


def test_admin_seminar_list_moments_as_date_then_time(admin_client, seminar):
    body = admin_client.get(reverse("admin:events_seminar_changelist")).content.decode()
    for moment in (
        seminar.starts_at,
        seminar.registration_opens_at,
        seminar.registration_closes_at,
    ):
        assert _date_then_time(moment) in body
        assert formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT") not in body


def test_admin_registration_list_registered_as_date_then_time(
    admin_client, seminar, company, register
):
    registration = register(seminar, company)
    body = admin_client.get(reverse("admin:events_registration_changelist")).content.decode()
    created = timezone.localtime(registration.created_at)
    assert _date_then_time(created) in body
    assert formats.date_format(created, "SHORT_DATE_FORMAT") not in body


def test_admin_registration_page_session_as_date_and_time_range(
    admin_client, seminar, company, register
):
    session = seminar.days.first().sessions.first()
    registration = register(seminar, company, sessions=[session])
    url = reverse("admin:events_registration_change", args=[registration.pk])
    body = admin_client.get(url).content.decode()
    day = formats.date_format(timezone.localtime(session.starts_at), "DATE_FORMAT")
    assert f"{day} {time_range(session.starts_at, session.ends_at)}" in body
    assert (
        formats.date_format(timezone.localtime(session.starts_at), "SHORT_DATE_FORMAT") not in body
    )


def test_admin_dashboard_times_in_public_format(admin_client, seminar):
    url = reverse("admin:events_seminar_dashboard", args=[seminar.pk])
    body = admin_client.get(url).content.decode()
    # "Figures as of 9:05 a.m.", never a 24-hour clock with seconds.
    assert "Figures as of" in body
    assert not re.search(r"\d{2}:\d{2}:\d{2}", body)
    # 24-hour times ("19:00") are gone; "10:30 a.m." is the public format.
    assert not re.search(r"\b\d{1,2}:\d{2}\b(?! [ap]\.m\.)", body)
