"""The gunicorn configuration in the repository, loaded as gunicorn loads it."""

import gc
import runpy
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "ctpat" / "gunicorn.conf.py"


@pytest.fixture
def config(monkeypatch) -> dict:
    for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_WORKER_CLASS"):
        monkeypatch.delenv(name, raising=False)
    return runpy.run_path(str(CONFIG))


def test_gunicorn_conf_defaults_one_gthread_worker_per_core(config):
    import multiprocessing

    assert config["workers"] == multiprocessing.cpu_count()
    assert (config["worker_class"], config["threads"]) == ("gthread", 8)


def test_gunicorn_conf_worker_freezes_the_loaded_app_out_of_full_collections(config):
    gc.unfreeze()
    kept = object.__new__(type("Kept", (), {}))  # a tracked object, alive across the hook
    try:
        config["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
        assert not gc.is_tracked(kept) or kept not in gc.get_objects(generation=2)
    finally:
        gc.unfreeze()
