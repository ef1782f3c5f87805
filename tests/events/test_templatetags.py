"""Staff-entered texts in the reader's language, an English fallback marked so (WCAG 3.1.2)."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def _render(source: str, **context) -> str:
    return Template("{% load events_i18n %}" + source).render(Context(context))


@pytest.fixture
def hostile_title(seminar):
    seminar.title = 'Border <script>alert("x")</script> & Ports'
    seminar.save(update_fields=["title"])
    return seminar


def test_localized_html_marks_english_fallback_on_spanish_page_escaped(hostile_title):
    with translation.override("es"):
        html = _render('{{ seminar|localized_html:"title" }}', seminar=hostile_title)

    assert html == (
        '<span lang="en">'
        "Border &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Ports"
        "</span>"
    )


def test_localized_html_plain_escaped_text_for_english_reader(hostile_title):
    with translation.override("en"):
        html = _render('{{ seminar|localized_html:"title" }}', seminar=hostile_title)

    assert html == "Border &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Ports"


def test_localized_html_spanish_twin_needs_no_mark(seminar):
    seminar.title_es = "Seminario <CTPAT>"

    with translation.override("es"):
        html = _render('{{ seminar|localized_html:"title" }}', seminar=seminar)

    assert html == "Seminario &lt;CTPAT&gt;"


def test_localized_html_inside_a_translated_sentence_keeps_its_mark(hostile_title):
    source = (
        "{% load i18n %}{% blocktranslate with title=seminar|localized_html:'title' %}"
        "Check-in: {{ title }}{% endblocktranslate %}"
    )
    with translation.override("es"):
        html = _render(source, seminar=hostile_title)

    assert '<span lang="en">Border &lt;script&gt;' in html
    assert "<script>" not in html


def test_fallback_language_only_for_spanish_reader_and_blank_twin(seminar):
    seminar.program = "Opening plenary"
    source = '[{{ seminar|fallback_language:"program" }}]'
    with translation.override("es"):
        assert _render(source, seminar=seminar) == "[en]"
        seminar.program_es = "Sesión plenaria"
        assert _render(source, seminar=seminar) == "[]"
    seminar.program_es = ""
    with translation.override("en"):
        assert _render(source, seminar=seminar) == "[]"


# --- On the pages ---------------------------------------------------------------------------


def test_seminar_page_in_spanish_marks_each_english_fallback(client, seminar):
    seminar.program = "Opening plenary"
    seminar.save(update_fields=["program"])
    day = seminar.days.order_by("date").first()

    page = client.get(
        reverse("events:seminar_detail", args=[seminar.slug]), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()

    assert f'<h1><span lang="en">{seminar.title}</span></h1>' in page
    assert f'<span lang="en">{day.label}</span>' in page
    assert '<strong class="d-block"><span lang="en">CBP risk indicators</span></strong>' in page
    assert '<div class="program-text" lang="en"><p>Opening plenary</p></div>' in page
    # No markup where markup cannot stand: the <title> keeps the plain text.
    assert re.search(rf"<title>{re.escape(seminar.title)} — ", page)


def test_registration_form_in_spanish_marks_english_day_and_topic_choices(client, seminar):
    day = seminar.days.order_by("date").first()
    day.label_es = "Talleres del martes"
    day.save(update_fields=["label_es"])

    page = client.get(
        reverse("events:registration_create", args=[seminar.slug]), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()

    assert '<span class="choice__title">Talleres del martes</span>' in page
    assert '<span class="choice__title" lang="en">Thursday workshops</span>' in page
    assert '<legend class="mb-1" lang="en">Thursday workshops</legend>' in page
    assert '<span class="choice__title" lang="en">CBP risk indicators</span>' in page


def test_pages_in_english_carry_no_language_mark(client, seminar):
    page = client.get(
        reverse("events:seminar_detail", args=[seminar.slug]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    # The page itself and the switcher's "English": nothing else is marked.
    assert re.findall(r'<[^>]* lang="en"', page) == [
        '<html lang="en"',
        '<button type="submit" id="language-en" name="language" value="en" lang="en"',
    ]


@pytest.mark.parametrize("language", ["es", "en"])
def test_refusal_quoting_session_topics_marks_english_fallback_and_escapes(
    client, seminar, company, language
):
    """The overlap refusal names two staff-entered topics: in Spanish, each English one is
    marked as English, in the field's error and in the summary; markup in a topic stays text."""
    day = seminar.days.order_by("date").first()
    first, overlapping = day.sessions.order_by("starts_at", "id")[:2]
    overlapping.topic = "Suspensions <b>&</b> removals"
    overlapping.topic_es = ""
    overlapping.save(update_fields=["topic", "topic_es"])
    data = {
        "account_number": company.account_number,
        "first_name": "María",
        "last_name": "González",
        "email": "maria@partner.example",
        "job_title": "Manager",
        "phone": "+52 664 555 0100",
        "workshop_day": str(day.pk),
        "sessions": [str(first.pk), str(overlapping.pk)],
    }

    response = client.post(
        reverse("events:registration_create", args=[seminar.slug]),
        data,
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 422
    page = response.content.decode()
    hostile = "Suspensions &lt;b&gt;&amp;&lt;/b&gt; removals"
    if language == "es":
        marked = [f'<span lang="en">{first.topic}</span>', f'<span lang="en">{hostile}</span>']
        for name in marked:
            assert page.count(name) == 2, name  # the field's error and the summary
    else:
        assert page.count(f"“{hostile}”") == 2
        assert '<span lang="en">' not in page
