"""Every state of every public page and of the check-in desk, in English and in Spanish.

``tests/test_i18n.py`` catches a message marked for translation and left untranslated. These
tests catch English that was never marked at all (``<p>Please bring photo ID.</p>`` typed into a
template): each page state (``tests/page_states.py``) is rendered in both languages from the same
data, and a visible text or accessible name that reads the same in both is English left behind,
unless it is data (names, codes, numbers, dates, e-mail addresses, links, staff-entered texts
without a Spanish twin) or on the short ``SAME_IN_BOTH`` list (``tests/page_texts.py``).

The second test renders the Spanish pages of a seminar whose texts have no Spanish twin: each
English text shown as page text must sit in an element marked ``lang="en"`` (WCAG 3.1.2).
"""

import pytest

from tests.page_states import STATES, World, both_languages
from tests.page_texts import staff_texts, unmarked_english, untranslated, unwrapped_times

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox_kept")]


@pytest.fixture
def world(register, settings):
    return World(spanish=True, register=register, settings=settings)


@pytest.mark.parametrize("state", list(STATES))
def test_page_text_all_translated(world, state):
    english, spanish = both_languages(state, world)

    assert untranslated(english, spanish) == []


@pytest.mark.parametrize("state", list(STATES))
def test_page_text_english_fallback_marked_on_spanish_page(world, state):
    """Staff typed no Spanish twin: their English texts show, each marked ``lang="en"``."""
    world.spanish = False
    _english, spanish = both_languages(state, world)

    assert unmarked_english(spanish, staff_texts()) == []


@pytest.mark.parametrize("state", list(STATES))
def test_page_text_times_kept_on_one_line(world, state):
    """Every time and range of times sits in a ``.time`` element, in both languages."""
    english, spanish = both_languages(state, world)

    assert unwrapped_times(english) == []
    assert unwrapped_times(spanish) == []
