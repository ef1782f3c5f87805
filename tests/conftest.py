import pytest

from ctpat.enums import CertificationStatus
from tests.factories import (
    BreakoutSessionFactory,
    CompanyFactory,
    SeminarFactory,
    WorkshopDayFactory,
)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render templates without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def suspended_company(db):
    return CompanyFactory(status=CertificationStatus.SUSPENDED)


@pytest.fixture
def seminar(db):
    """A San Diego-shaped seminar: two workshop days, two sessions each (one pair overlapping)."""
    seminar = SeminarFactory(capacity=1200, per_company_limit=2)
    for label in ("Tuesday workshops", "Thursday workshops"):
        day = WorkshopDayFactory(seminar=seminar, label=label, capacity=600)
        first = BreakoutSessionFactory(day=day, topic="CBP risk indicators")
        BreakoutSessionFactory(
            day=day,
            topic="Suspensions and removals",
            starts_at=first.starts_at,
            ends_at=first.ends_at,
        )
        BreakoutSessionFactory(
            day=day,
            topic="Evidence of implementation",
            starts_at=first.ends_at,
            ends_at=first.ends_at + (first.ends_at - first.starts_at),
        )
    return seminar
