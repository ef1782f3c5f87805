"""English and Spanish: the catalogue is complete and compiled, and Spanish speakers meet Spanish.

The catalogue tests read ``locale/es/LC_MESSAGES/django.po`` and the committed ``django.mo``
beside it: the site runs on the ``.mo`` (no ``msgfmt`` needed to set it up), so the ``.mo`` must
hold exactly the ``.po``'s translations. That comparison loads both with ``polib``, in Python,
and compares the messages, not the bytes, so it does not depend on which compiler wrote the file.

Finding the messages of the code needs GNU ``xgettext`` (Debian's ``gettext``, which ``.ci/run``
installs): that one test is skipped locally without it and fails in CI.
"""

import html
import io
import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import formats, timezone, translation

from events.emails import email_message_build
from events.enums import EmailKind, RegistrationStatus
from events.models import OutboundEmail, Registration
from tests.factories import CompanyFactory

LOCALE = Path(settings.BASE_DIR) / "locale"
PO_PATH = LOCALE / "es" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# What makemessages scans: our code and templates (its own ignore list drops tests and the rest).
SOURCES = ["ctpat", "events", "templates", "manage.py"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdrf]|%%|\{\w*\}")


def _catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def _translations(entries) -> dict[tuple[str | None, str], tuple[str, ...]]:
    """(context, msgid) → its translation(s), for every translated, non-fuzzy entry."""
    result = {}
    for entry in entries:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        else:
            forms = (entry.msgstr,)
        if all(forms):
            result[(entry.msgctxt, entry.msgid)] = forms
    return result


# --- The catalogue --------------------------------------------------------------------------------


def test_catalogue_translates_every_message_of_the_code(tmp_path, settings, monkeypatch):
    """Extract the messages afresh from a copy of the code: each must be translated in the .po."""
    if shutil.which("xgettext") is None:
        reason = "GNU gettext is not installed (xgettext missing): apt-get install gettext"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    for name in SOURCES:
        source = Path(settings.BASE_DIR) / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    # The copy's own locale folder is the only one makemessages can write to.
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["es"], verbosity=0)
    extracted = polib.pofile(str(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po"))

    translated = _translations(_catalogue())
    missing = [entry.msgid for entry in extracted if (entry.msgctxt, entry.msgid) not in translated]
    assert len(extracted) > 400
    assert missing == [], (
        f"{len(missing)} message(s) without a Spanish translation: run "
        "`manage.py makemessages -l es`, translate, then `manage.py compilemessages -l es`"
    )


def test_catalogue_has_no_untranslated_fuzzy_or_obsolete_entry():
    catalogue = _catalogue()
    assert catalogue.metadata["Language"] == "es"
    assert catalogue.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert [e.msgid for e in catalogue.obsolete_entries()] == []


def test_catalogue_placeholders_same_in_translation():
    """A placeholder lost or misspelt in Spanish is a KeyError (a 500) or a blank in the page."""
    wrong = []
    for entry in _catalogue():
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:
            pairs = [
                (entry.msgid, entry.msgstr_plural[0]),
                (entry.msgid_plural, entry.msgstr_plural[1]),
            ]
        for english, spanish in pairs:
            if sorted(set(PLACEHOLDER.findall(english))) != sorted(
                set(PLACEHOLDER.findall(spanish))
            ):
                wrong.append((english, spanish))
    assert wrong == []


def test_catalogue_compiled_mo_matches_po():
    """The committed .mo holds exactly the .po's translations: recompile after every edit."""
    assert MO_PATH.is_file(), "run `manage.py compilemessages -l es` and commit the .mo"
    compiled = _translations(polib.mofile(str(MO_PATH)))
    assert compiled == _translations(_catalogue())


# Spanish that assumes the reader's (or a colleague's) gender, as the audit found it; the
# catalogue says "Su inscripción está confirmada", "Le damos la bienvenida", "otra persona".
_GENDERED = re.compile(
    r"\b(?:está|queda|quedó)\s+(?:usted\s+)?inscrit[oa]s?\b"  # "Usted está inscrito"
    r"|^Inscrit[oa]\b"  # a label: "Inscrito (confirmado)"
    r"|¡Bienvenid[oa]|\bEstimad[oa]\b|\bQuerid[oa]\b"  # greetings
    r"|\bestá\s+segur[oa]\b"  # "no está seguro de que…"
    r"|\b(?:[Uu]n|[Uu]na|[Ee]l|[Ll]a)\s+colega\b"  # "ceder su lugar a un colega"
)


def test_catalogue_spanish_does_not_assume_gender():
    gendered = []
    for entry in _catalogue():
        for spanish in (entry.msgstr, *entry.msgstr_plural.values()):
            if spanish and _GENDERED.search(spanish):
                gendered.append(spanish)
    assert gendered == []


# British spellings that U.S. English writes otherwise ("organisers", "recognise", "centre").
_BRITISH = re.compile(
    r"\b\w*(?:organis|recognis|apologis|authoris|finalis|prioritis|summaris|normalis|neutralis)"
    r"|\b(?:centre|colour|behaviour|favour|licence|catalogue)s?\b",
    re.IGNORECASE,
)


def test_catalogue_english_is_us_english():
    assert [e.msgid for e in _catalogue() if _BRITISH.search(e.msgid)] == []


_ATTENDANCE = re.compile(r"registr\w*\s+(?:su\s+)?asistencia", re.IGNORECASE)


def test_catalogue_spanish_one_word_for_registering():
    """Registering for a seminar is "inscribirse"/"inscripción" throughout; "registrar" is kept
    for recording attendance at the door ("registrar asistencia")."""
    mixed = []
    for entry in _catalogue():
        english = PLACEHOLDER.sub("", entry.msgid)
        if not re.search(r"\bregist(?:er|ration|ered|ering)", english, re.IGNORECASE):
            continue
        for spanish in (entry.msgstr, *entry.msgstr_plural.values()):
            spanish = _ATTENDANCE.sub("", PLACEHOLDER.sub("", spanish))
            if re.search(r"registr|regístr", spanish, re.IGNORECASE):
                mixed.append(spanish)
    assert mixed == []


def test_catalogue_spanish_seminar_title_has_its_article():
    """ "Su lugar en el Seminario CTPAT…", not "en Seminario CTPAT…" (a title is a name)."""
    bare = re.compile(r"\b(?:en|de|a|para|por) %\((?:title|seminar)\)s")
    assert [e.msgstr for e in _catalogue() if e.msgstr and bare.search(e.msgstr)] == []


def test_catalogue_used_by_django():
    with translation.override("es"):
        assert translation.gettext("Register") == "Inscribirse"
        assert translation.ngettext("starts in %(days)d day", "starts in %(days)d days", 3) % {
            "days": 3
        } == ("comienza en 3 días")


# --- Pages in Spanish -----------------------------------------------------------------------------

# English sentences of our catalogue: any of them in a Spanish page is an untranslated text.
_WORDS_BEFORE_SENTENCE = 4


def _english_sentences() -> list[str]:
    sentences = set()
    for entry in _catalogue():
        for english in filter(None, (entry.msgid, entry.msgid_plural)):
            for part in PLACEHOLDER.split(english):
                part = " ".join(part.split()).strip(" .,:;—–()")
                if len(part.split()) >= _WORDS_BEFORE_SENTENCE:
                    sentences.add(part)
    return sorted(sentences)


def _visible_text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", body)
    body = re.sub(r"(?s)<!--.*?-->", " ", body)
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(body).split())


def _assert_spanish(response, *expected: str) -> str:
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()
    text = _visible_text(response)
    for phrase in expected:
        assert phrase in text
    english = [sentence for sentence in _english_sentences() if sentence in text]
    assert english == []
    return text


@pytest.fixture
def spanish_seminar(seminar):
    """The ``seminar`` fixture with the Spanish texts staff would type in the admin."""
    seminar.title_es = "Seminario de capacitación CTPAT — Prueba"
    seminar.summary_es = "Capacitación para socios certificados."
    seminar.program = "Opening plenary"
    seminar.program_es = "Sesión plenaria de apertura"
    seminar.save()
    for day, label in zip(
        seminar.days.order_by("date"), ["Talleres del martes", "Talleres del jueves"], strict=True
    ):
        day.label_es = label
        day.save()
        for session in day.sessions.all():
            session.topic_es = f"Tema en español {session.pk}"
            session.save()
    return seminar


def _person(company, **fields) -> dict:
    return {
        "account_number": company.account_number,
        "first_name": "María",
        "last_name": "González",
        "email": "maria.gonzalez@maquila.example",
        "job_title": "Gerente de seguridad",
        "phone": "+52 664 555 0100",
        **fields,
    }


def test_pages_public_in_spanish_from_accept_language(client, spanish_seminar):
    seminar = spanish_seminar
    headers = {"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9,en;q=0.5"}
    day = seminar.days.order_by("date").first()
    with translation.override("es"):
        spanish_date = formats.date_format(day.date, "MONTH_DAY_FORMAT")
    assert " de " in spanish_date

    listing = client.get(reverse("events:seminar_list"), **headers)
    _assert_spanish(listing, "Próximos seminarios", "Seminario de capacitación CTPAT — Prueba")

    detail = client.get(reverse("events:seminar_detail", args=[seminar.slug]), **headers)
    text = _assert_spanish(
        detail, "Talleres del martes", "Sesión plenaria de apertura", "Quién puede asistir"
    )
    assert spanish_date in text
    assert "Opening plenary" not in text

    form = client.get(reverse("events:registration_create", args=[seminar.slug]), **headers)
    _assert_spanish(form, "Número de cuenta CTPAT", "Inscribirse", "Talleres del jueves")


def test_pages_registration_and_management_in_spanish(client, spanish_seminar, company):
    seminar = spanish_seminar
    headers = {"HTTP_ACCEPT_LANGUAGE": "es"}
    day = seminar.days.order_by("date").first()
    session = day.sessions.order_by("pk").first()
    response = client.post(
        reverse("events:registration_create", args=[seminar.slug]),
        _person(company, workshop_day=day.pk, sessions=[session.pk]),
        **headers,
    )
    registration = Registration.objects.get()
    assert registration.language == "es"
    assert response.status_code == 302

    confirmation = client.get(response["Location"], **headers)
    _assert_spanish(
        confirmation,
        "Su inscripción está confirmada",
        f"Tema en español {session.pk}",
        "Su enlace privado",
    )
    cancel_url = reverse("events:registration_cancel", args=[registration.manage_token])
    _assert_spanish(client.get(cancel_url, **headers), "¿Cancelar su inscripción?")
    change_url = reverse("events:registration_change", args=[registration.manage_token])
    _assert_spanish(client.get(change_url, **headers), "Cambiar el día de talleres o las sesiones")
    substitute_url = reverse("events:registration_substitute", args=[registration.manage_token])
    _assert_spanish(
        client.get(substitute_url, **headers), "Ceder su lugar a otra persona de su empresa"
    )

    cancelled = client.post(cancel_url, **headers, follow=True)
    _assert_spanish(cancelled, "Esta inscripción se canceló")
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED


def _refusal(client, seminar, data) -> str:
    response = client.post(
        reverse("events:registration_create", args=[seminar.slug]),
        data,
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 422
    return _assert_spanish(response, "Hay un problema")


def test_refusals_in_spanish(client, spanish_seminar, suspended_company):
    seminar = spanish_seminar
    day = seminar.days.order_by("date").first()
    unknown = CompanyFactory.build(account_number="NOSUCH123")
    text = _refusal(client, seminar, _person(unknown, workshop_day=day.pk))
    assert "No encontramos este número de cuenta CTPAT." in text

    text = _refusal(client, seminar, _person(suspended_company, workshop_day=day.pk))
    assert "Los beneficios CTPAT de esta empresa están suspendidos" in text


def test_refusal_full_day_offers_waitlist_in_spanish(client, spanish_seminar, company):
    seminar = spanish_seminar
    day = seminar.days.order_by("date").first()
    type(day).objects.filter(pk=day.pk).update(capacity=0)
    text = _refusal(client, seminar, _person(company, workshop_day=day.pk))
    assert "Un día de talleres está lleno. Elija otro día o únase a la lista de espera." in text
    assert "Si no hay lugares libres, anótenme en la lista de espera" in text

    response = client.post(
        reverse("events:registration_create", args=[seminar.slug]),
        _person(company, workshop_day=day.pk, waitlist="on"),
        HTTP_ACCEPT_LANGUAGE="es",
        follow=True,
    )
    _assert_spanish(response, "Usted está en la lista de espera")


def test_switcher_changes_language_and_cookie_keeps_it(client, spanish_seminar):
    path = reverse("events:seminar_detail", args=[spanish_seminar.slug])
    english = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    page = english.content.decode()
    assert '<html lang="en">' in page
    assert f'action="{reverse("set_language")}"' in page
    assert f'name="next" value="{path}"' in page
    assert 'value="es" lang="es"' in page
    assert ">Español</button>" in page
    assert 'value="en" lang="en"' in page
    assert 'aria-current="true">English</button>' in page

    switched = client.post(reverse("set_language"), {"language": "es", "next": path})
    assert switched.status_code == 302
    assert switched["Location"] == path
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    # The browser still asks for English: the choice the visitor made wins, on every page.
    _assert_spanish(client.get(path, HTTP_ACCEPT_LANGUAGE="en"), "Talleres del martes")
    _assert_spanish(client.get(reverse("events:seminar_list"), HTTP_ACCEPT_LANGUAGE="en"))


# --- E-mail and calendar in the registration's language -----------------------------------------


def test_email_confirmation_in_spanish_for_spanish_registration(spanish_seminar, company, register):
    seminar = spanish_seminar
    day = seminar.days.order_by("date").first()
    session = day.sessions.order_by("pk").first()
    registration = register(seminar, company, day=day, sessions=[session], language="es")
    email = OutboundEmail.objects.get(kind=EmailKind.CONFIRMED, registration=registration)
    with translation.override("en"):  # whatever the sender's language, the registrant's wins
        message = email_message_build(email=email)
    code = registration.confirmation_code
    assert message.subject == (
        f"Seminario de capacitación CTPAT — Prueba: tiene un lugar — código {code}"
    )
    with translation.override("es"):
        starts = timezone.localtime(seminar.starts_at)
        spanish_date = formats.date_format(starts, "DATE_FORMAT")
        weekday = formats.date_format(starts, "l")
    assert f"{weekday}, {spanish_date}" in message.body
    for phrase in [
        "Tiene un lugar en el Seminario de capacitación CTPAT — Prueba",
        "Día de talleres: Talleres del martes",
        f"Tema en español {session.pk}",
        "Código de confirmación",
    ]:
        assert phrase in message.body
    html_part = message.alternatives[0][0]
    assert '<html lang="es">' in html_part
    assert "Talleres del martes" in html_part
    calendar = message.attachments[0].get_payload(decode=True).decode()
    assert "SUMMARY:Seminario de capacitación CTPAT — Prueba" in calendar
    assert f"DESCRIPTION:Código de confirmación: {code}" in calendar
    english = [s for s in _english_sentences() if s in " ".join(message.body.split())]
    assert english == []


def test_email_english_registration_keeps_english_texts(spanish_seminar, company, register):
    registration = register(spanish_seminar, company, language="en")
    email = OutboundEmail.objects.get(kind=EmailKind.CONFIRMED, registration=registration)
    with translation.override("es"):
        message = email_message_build(email=email)
    assert message.subject.startswith(spanish_seminar.title + ": you have a seat")
    assert "Workshop day: Tuesday workshops" in message.body


def test_localized_falls_back_to_english_when_spanish_blank(seminar):
    day = seminar.days.order_by("date").first()
    assert day.label_es == ""
    assert day.localized("label", "es") == day.label
    day.label_es = "Talleres del martes"
    assert day.localized("label", "es") == "Talleres del martes"
    assert day.localized("label", "en") == day.label
    with translation.override("es-mx"):
        assert day.localized("label") == "Talleres del martes"


def test_seed_demo_fills_spanish_texts_idempotently(db):
    from events.models import BreakoutSession, Seminar, WorkshopDay

    call_command("seed_demo", companies=1, stdout=io.StringIO())
    Seminar.objects.update(title_es="")
    WorkshopDay.objects.filter(label="Thursday workshops").update(label_es="")
    call_command("seed_demo", companies=1, stdout=io.StringIO())
    seminar = Seminar.objects.get(slug="san-diego")
    assert seminar.title_es == "Seminario de capacitación CTPAT — San Diego"
    assert sorted(seminar.days.values_list("label_es", flat=True)) == [
        "Talleres del jueves",
        "Talleres del martes",
    ]
    assert BreakoutSession.objects.filter(topic_es="").count() == 0
    assert BreakoutSession.objects.filter(topic_es="Indicadores de riesgo de CBP").count() == 2
