"""Settings for the benchmark's app servers: production settings plus the ceiling views.

``bench.urls`` serves the whole site and ``/bench/bare`` and ``/bench/write``; the ``bench`` app
holds the ceiling view's table (its migration is in ``bench/migrations``).
"""

import os

from ctpat.settings import *  # noqa: F403
from ctpat.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
# collectstatic of a benchmark run goes to its own temporary directory, not the checkout's.
if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
