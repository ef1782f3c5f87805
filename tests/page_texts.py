"""The texts a page shows a person, and which of them are data rather than language.

Used by ``tests/test_i18n_pages.py``: a text is each run of visible text and each accessible name
in an attribute (``aria-label``, ``title``, ``alt``, ``placeholder``, a button's value), with the
language the page marks it in (the nearest ``lang``).
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from ctpat.models import Company
from events.models import BreakoutSession, Registration, Seminar, SeminarQuestion, WorkshopDay
from tests.page_states import APPLICANT

# Texts that are rightly the same in English and Spanish. Keep it short; say why for each.
SAME_IN_BOTH = {
    "No",  # the answer to a yes/no question ("No" in both languages)
}

# Elements without an end tag.
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}
_NAMES = ("aria-label", "title", "alt", "placeholder")
_BUTTONS = {"submit", "button", "reset"}


@dataclass(frozen=True)
class Text:
    text: str
    lang: str  # the language the page marks it in (its element's or an ancestor's lang)
    in_title: bool  # the document's <title>, which cannot hold markup
    in_time: bool = False  # inside a ``.time`` element, which site.css keeps on one line


class _PageTexts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        # (tag, lang, inside a .time element) of the elements we are in
        self.open: list[tuple[str, str, bool]] = []
        self.texts: list[Text] = []

    def _lang(self) -> str:
        return self.open[-1][1] if self.open else ""

    def _in_time(self) -> bool:
        return bool(self.open) and self.open[-1][2]

    def _add(self, text: str, lang: str, in_time: bool = False) -> None:
        text = " ".join(text.split())
        if text:
            in_title = any(tag == "title" for tag, _, _ in self.open)
            self.texts.append(Text(text, lang, in_title, in_time))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang") or self._lang()
        for name in _NAMES:
            self._add(attrs.get(name) or "", lang)
        if tag == "input" and attrs.get("type") in _BUTTONS:
            self._add(attrs.get("value") or "", lang)
        if tag not in _VOID:
            in_time = self._in_time() or "time" in (attrs.get("class") or "").split()
            self.open.append((tag, lang, in_time))

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return

    def handle_data(self, data):
        if not any(tag in ("script", "style") for tag, _, _ in self.open):
            self._add(data, self._lang(), self._in_time())


def page_texts(response) -> list[Text]:
    parser = _PageTexts()
    parser.feed(response.content.decode())
    return parser.texts


# --- What counts as data ------------------------------------------------------------------------

_DATA_FIELDS = {
    Company: ("legal_name", "account_number"),
    Registration: ("first_name", "last_name", "email", "job_title", "phone", "confirmation_code"),
    Seminar: ("venue", "address", "city"),
    BreakoutSession: ("room",),
}
# Staff-entered texts and their Spanish twins: data where the twin is missing or the same.
_TWINNED = {
    Seminar: (("title", "title_es"), ("summary", "summary_es"), ("program", "program_es")),
    WorkshopDay: (("label", "label_es"),),
    BreakoutSession: (("topic", "topic_es"), ("description", "description_es")),
    SeminarQuestion: (
        ("label_en", "label_es"),
        ("help_en", "help_es"),
        ("options_en", "options_es"),
    ),
}
_NOT_LANGUAGE = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"  # e-mail addresses
    r"|https?://\S+"  # links
    r"|\d+"  # numbers, and the digits of dates and times
)
_WORD = re.compile(r"[^\W\d_]{2,}")


def data_texts() -> list[str]:
    """Every text of the database that a page shows as it is, whatever the language."""
    texts = [r.full_name for r in Registration.objects.all()]
    # The applicant's values, as a page that shows what was typed gives them back.
    texts.append(f"{APPLICANT['first_name']} {APPLICANT['last_name']}")
    for model, fields in _DATA_FIELDS.items():
        for row in model.objects.values_list(*fields):
            texts.extend(row)
    for model, pairs in _TWINNED.items():
        for row in model.objects.values_list(*(field for pair in pairs for field in pair)):
            for english, spanish in zip(row[::2], row[1::2], strict=True):
                if not spanish or spanish == english:
                    texts.extend(english.splitlines())
    for english, spanish in SeminarQuestion.objects.values_list("options_en", "options_es"):
        texts.extend(set(english.splitlines()) & set(spanish.splitlines()))  # "Halal", "Kosher"
    return sorted({t.strip() for t in texts if t and t.strip()}, key=len, reverse=True)


def has_language(text: str, data: list[str]) -> bool:
    """True when ``text`` holds words once its data, numbers, addresses and links are left out."""
    for value in data:
        text = text.replace(value, " ")
    return bool(_WORD.search(_NOT_LANGUAGE.sub(" ", text)))


def untranslated(english, spanish) -> list[str]:
    """Texts of the English page found unchanged on the Spanish page, data left out."""
    english_texts = {t.text for t in page_texts(english) if t.lang == "en"}
    spanish_texts = {t.text for t in page_texts(spanish) if t.lang == "es"}
    data = data_texts()
    same = english_texts & spanish_texts
    return sorted(t for t in same - SAME_IN_BOTH if has_language(t, data))


def staff_texts() -> list[str]:
    """Every line of English that staff typed for a seminar, its days, sessions and questions."""
    return [
        line
        for model, pairs in _TWINNED.items()
        for values in model.objects.values_list(*(english for english, _ in pairs))
        for value in values
        for line in value.splitlines()
        if line.strip()
    ]


def unmarked_english(spanish, english_texts: list[str]) -> list[tuple[str, str]]:
    """(English text, page text holding it) for each one the Spanish page does not mark as English.

    The document's ``<title>`` is left out: it cannot hold markup.
    """
    return [
        (english, text.text)
        for text in page_texts(spanish)
        if text.lang == "es" and not text.in_title
        for english in english_texts
        if english in text.text
    ]


# A time of day as the site writes it: "9 a.m.", "10:30 p.m.", "noon" (English), "09:00" (Spanish).
_TIME = re.compile(r"\b\d{1,2}(?::\d{2})? [ap]\.m\.|\bnoon\b|\bmidnight\b|\b\d{2}:\d{2}\b")


def unwrapped_times(response) -> list[str]:
    """Page texts holding a time of day outside a ``.time`` element: a line could break inside
    the time ("9 / a.m.") or its range ("09:00- / 10:30")."""
    return [t.text for t in page_texts(response) if not t.in_time and _TIME.search(t.text)]
