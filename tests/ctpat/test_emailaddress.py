import pytest
from django.core.exceptions import ValidationError

from ctpat.emailaddress import email_normalized, validate_deliverable_email

KELVIN_K = "\u212a"
DOTLESS_I = "\u0131"


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        (f"{KELVIN_K}ate@example.com", "kate@example.com"),
        ("Mixed.Case@Example.COM", "mixed.case@example.com"),
        (" kate@Bücher.Example. ", "kate@xn--bcher-kva.example"),
        ("kate@\uff45xample.com", "kate@example.com"),  # a full-width e
        ("STRASSE@example.com", "straße@example.com"),  # case folding, not lower()
    ],
    ids=["kelvin-sign", "case", "idna-domain", "full-width", "sharp-s"],
)
def test_email_normalized_look_alikes_compare_equal(typed, same_as):
    assert email_normalized(typed) == email_normalized(same_as)


def test_email_normalized_dotless_i_is_another_address():
    assert email_normalized(f"m{DOTLESS_I}xed@example.com") != "mixed@example.com"


@pytest.mark.parametrize(
    "address",
    [f"{KELVIN_K}ate@example.com", f"m{DOTLESS_I}xed.case@example.com", "josé@example.com"],
    ids=["kelvin-sign", "dotless-i", "accent"],
)
def test_validate_deliverable_email_non_ascii_local_part_refused(address):
    with pytest.raises(ValidationError) as refused:
        validate_deliverable_email(address)
    assert refused.value.code == "undeliverable"


@pytest.mark.parametrize("address", ["kate@example.com", "o'neil+seminar@bücher.example"])
def test_validate_deliverable_email_ascii_local_part_accepted(address):
    validate_deliverable_email(address)
