"""Certificates of attendance: the registrant's PDF, and the public page that verifies one."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ctpat.ratelimit import rate_limited
from events import certificates
from events.models import Registration
from events.views_manage import private_page


@rate_limited("manage")
@private_page
@require_GET
def registration_certificate(request: HttpRequest, registration: Registration) -> HttpResponse:
    """The registrant's certificate as a PDF; 404 while they have none."""
    return certificates.certificate_pdf_response(registration=registration)


@rate_limited("manage")
@require_GET
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """What a printed certificate's code stands for: name, company, seminar and days only."""
    certificate = certificates.certificate_get_by_code(code=code)
    registration = certificate.registration
    response = render(
        request,
        "events/certificate_verify.html",
        {
            "certificate": certificate,
            "registration": registration,
            "seminar": registration.seminar,
            "days": certificates.attended_days(registration=registration),
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
