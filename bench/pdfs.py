"""Time and memory of the PDFs: a full seminar's name badges, and one certificate of attendance.

    python bench/pdfs.py [--seats N]

Starts a throwaway PostgreSQL, migrates and seeds a held seminar of N seats (1,200 by default)
full of confirmed registrations from N/2 demo companies (``seed_demo --held``), then, in this
process, under production settings (DEBUG off):

- one certificate, the first (WeasyPrint loaded then) and the median of the next five;
- the badges of every confirmed person, on A4 and then on Letter, as the admin's "PDF" links
  make them (the same functions, queries included).

For each it prints wall and CPU seconds, pages and size; last, the process's peak resident
memory (``ru_maxrss``), which holds Django, WeasyPrint and the largest document made. The
targets: badges under 60 s and 1 GB, a certificate under 1 s.
"""

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.inprocess import reexec_in_venv, seeded_database

SLUG = "bench-held"


def main() -> int:
    reexec_in_venv()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seats", type=int, default=1200, help="seats, all taken (1200)")
    parser.add_argument(
        "--paper", choices=["a4", "letter"], action="append", help="badge paper (both)"
    )
    options = parser.parse_args()
    environ = {
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "OUTBOX_DELIVER_ON_COMMIT": "0",
    }
    seed = ["seed_demo", "--slug", SLUG, "--held", "--seats", str(options.seats)]
    commands = [
        ["migrate", "--noinput", "-v", "0"],
        [*seed, "--companies", str((options.seats + 1) // 2)],
    ]
    started = time.perf_counter()
    with seeded_database(durable=False, environ=environ, commands=commands):
        print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        results = measure(papers=options.paper or ["a4", "letter"])
    print(json.dumps(results))
    return 0


def timed(make) -> tuple[bytes, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    content = make()
    return content, time.perf_counter() - wall, time.process_time() - cpu


def pages(content: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def measure(*, papers: list[str]) -> dict:
    import django

    django.setup()
    from django.conf import settings

    # Static files through the plain storage: no collectstatic needed for rendering.
    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    from events import badges, certificates
    from events.enums import RegistrationStatus
    from events.models import Registration, Seminar

    seminar = Seminar.objects.get(slug=SLUG)
    confirmed = seminar.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    attendees = list(
        Registration.objects.filter(seminar=seminar, checked_in_at__isnull=False).order_by("pk")[:6]
    )
    issued = [certificates.certificate_issue(registration=person) for person in attendees]
    results: dict = {"seats": seminar.capacity, "confirmed": confirmed}
    rows = []

    content, first_wall, first_cpu = timed(
        lambda: certificates.certificate_pdf(certificate=issued[0])
    )
    rows.append(("certificate, first (loads WeasyPrint)", first_wall, first_cpu, content))
    walls, cpus = [], []
    for certificate in issued[1:]:
        content, wall, cpu = timed(
            lambda c=certificate: certificates.certificate_pdf(certificate=c)
        )
        walls.append(wall)
        cpus.append(cpu)
    print(f"certificate: {statistics.median(walls):.3f} s", file=sys.stderr, flush=True)
    rows.append(
        ("certificate, median of 5", statistics.median(walls), statistics.median(cpus), content)
    )
    results["certificate_first_s"] = round(first_wall, 3)
    results["certificate_s"] = round(statistics.median(walls), 3)

    for paper in papers:
        content, wall, cpu = timed(
            lambda p=paper: badges.badges_pdf(seminar=seminar, day=None, paper=p)
        )
        rows.append((f"badges, {confirmed} people, {paper}", wall, cpu, content))
        print(f"badges {paper}: {wall:.1f} s", file=sys.stderr, flush=True)
        results[f"badges_{paper}_s"] = round(wall, 1)
        results[f"badges_{paper}_pages"] = pages(content)
        results[f"badges_{paper}_bytes"] = len(content)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["peak_rss_mb"] = round(peak_mb)
    print(f"{'document':<40} {'wall s':>8} {'CPU s':>8} {'pages':>6} {'KB':>8}")
    for name, wall, cpu, content in rows:
        print(f"{name:<40} {wall:>8.3f} {cpu:>8.3f} {pages(content):>6} {len(content) // 1024:>8}")
    print(f"peak resident memory of this process: {peak_mb:.0f} MB")
    return results


if __name__ == "__main__":
    sys.exit(main())
