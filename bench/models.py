from django.db import models


class CeilingRow(models.Model):
    """The one row the ceiling write view locks."""

    hits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"ceiling row {self.pk}"


class CeilingHit(models.Model):
    """One row inserted per ceiling write request."""

    row = models.ForeignKey(CeilingRow, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"ceiling hit {self.pk}"
