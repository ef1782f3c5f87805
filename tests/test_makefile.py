"""What `make demo` runs and prints."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _dry_run(*variables: str) -> str:
    return subprocess.run(
        ["make", "--no-print-directory", "-n", "demo", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize(
    ("variables", "expected"),
    [((), "127.0.0.1,localhost"), (("HOST=0.0.0.0",), "0.0.0.0,127.0.0.1,localhost")],
    ids=["default", "other-host"],
)
def test_make_demo_allowed_hosts_names_each_host_once(variables, expected):
    assert set(re.findall(r"ALLOWED_HOSTS=(\S+)", _dry_run(*variables))) == {expected}


def test_make_demo_serves_with_the_projects_gunicorn_configuration():
    serve = [line for line in _dry_run().splitlines() if "gunicorn ctpat.wsgi" in line]
    assert len(serve) == 1
    assert "-c ctpat/gunicorn.conf.py" in serve[0]


def test_make_demo_prints_a_company_page_link():
    assert "manage.py company_link DEMO00001" in _dry_run()
