"""The staff side of the product, registered with Django's admin site."""

from events.admin import companies, registrations, seminars  # noqa: F401  (they register their ModelAdmins)
