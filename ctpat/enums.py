from django.db import models
from django.utils.translation import gettext_lazy as _


class BusinessType(models.TextChoices):
    """CBP's own list of CTPAT entity types."""

    US_IMPORTER = "us_importer", _("U.S. importer")
    EXPORTER = "exporter", _("Exporter")
    FOREIGN_MANUFACTURER = "foreign_manufacturer", _("Foreign manufacturer")
    HIGHWAY_CARRIER = "highway_carrier", _("Highway carrier")
    MEXICO_LONG_HAUL_CARRIER = "mexico_long_haul_carrier", _("Long-haul highway carrier in Mexico")
    RAIL_CARRIER = "rail_carrier", _("Rail carrier")
    SEA_CARRIER = "sea_carrier", _("Sea carrier")
    AIR_CARRIER = "air_carrier", _("Air carrier")
    CONSOLIDATOR = "consolidator", _("Consolidator (air freight consolidator, OTI, NVOCC)")
    CUSTOMS_BROKER = "customs_broker", _("Customs broker")
    PORT_TERMINAL_OPERATOR = (
        "port_terminal_operator",
        _("Marine port authority or terminal operator"),
    )
    THIRD_PARTY_LOGISTICS = "third_party_logistics", _("Third-party logistics provider (3PL)")


class CertificationStatus(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    CERTIFIED = "certified", _("Certified")
    VALIDATED = "validated", _("Validated")
    SUSPENDED = "suspended", _("Suspended")
    REMOVED = "removed", _("Removed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Rejected")


ELIGIBLE_STATUSES = frozenset({CertificationStatus.CERTIFIED, CertificationStatus.VALIDATED})


class ImporterTier(models.IntegerChoices):
    TIER_I = 1, _("Tier I (certified)")
    TIER_II = 2, _("Tier II (validated)")
    TIER_III = 3, _("Tier III (validated with best practices)")
