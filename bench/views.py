"""The ceiling: what Django, gunicorn and PostgreSQL allow on this machine, with no app logic."""

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from bench.models import CeilingHit, CeilingRow


@require_http_methods(["GET", "POST"])
def bare(request: HttpRequest) -> HttpResponse:
    """No database at all: the framework and server overhead."""
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def write(request: HttpRequest) -> HttpResponse:
    """One transaction: ``SELECT … FOR UPDATE`` on one row, then one INSERT (a registration's
    minimal shape: every seat-moving transaction locks the seminar row first)."""
    with transaction.atomic():
        row = CeilingRow.objects.select_for_update().get(pk=1)
        CeilingHit.objects.create(row=row, note="ceiling")
    return HttpResponse(b"ok", content_type="text/plain")
