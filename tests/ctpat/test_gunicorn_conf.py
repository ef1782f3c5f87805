"""The gunicorn configuration in the repository, loaded as gunicorn loads it."""

import gc
import runpy
from datetime import timedelta
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


def _access_log_line(tmp_path, raw_request: bytes, *, access_log_format: str | None = None) -> str:
    """One request, parsed by gunicorn, answered 200 and logged by the configuration's logger."""
    from gunicorn.config import Config
    from gunicorn.http import wsgi
    from gunicorn.http.parser import RequestParser

    cfg = Config()
    for name, value in runpy.run_path(str(CONFIG)).items():
        if name in cfg.settings:
            cfg.set(name, value)
    log_file = tmp_path / "access.log"
    cfg.set("accesslog", str(log_file))
    if access_log_format:
        cfg.set("access_log_format", access_log_format)
    logger = cfg.logger_class(cfg)
    client = ("192.0.2.7", 50000)
    request = next(iter(RequestParser(cfg, iter([raw_request]), client)))
    response, environ = wsgi.create(request, None, client, ("127.0.0.1", 8000), cfg)
    response.start_response("200 OK", [("Content-Type", "text/html")])
    logger.access(response, request, environ, timedelta(milliseconds=12))
    for handler in list(logger.access_log.handlers):
        handler.close()  # the file, not left open for the next call's logger
        logger.access_log.removeHandler(handler)
    return log_file.read_text()


TOKEN = "s3cretT0ken-_AbC"


@pytest.mark.parametrize(
    "path",
    [f"/registrations/{TOKEN}/cancel/", f"/registrations/{TOKEN}", f"/company/{TOKEN}/"],
    ids=["registrant", "no-trailing-slash", "company"],
)
def test_gunicorn_conf_access_log_hides_private_link_tokens(tmp_path, path):
    raw = (
        f"GET {path}?next=/registrations/{TOKEN}/ HTTP/1.1\r\nHost: example.gov\r\n"
        f"Referer: https://example.gov/company/{TOKEN}/\r\n\r\n"
    ).encode()
    default = _access_log_line(tmp_path, raw)
    assert TOKEN not in default
    assert "[private]" in default
    assert " 200 " in default
    # Any format an operator chooses: the request line, the Referer, every header.
    every = "%(r)s %(U)s %(q)s %(f)s %({referer}i)s %({raw_uri}e)s %({path_info}e)s"
    assert TOKEN not in _access_log_line(tmp_path, raw, access_log_format=every)


def test_gunicorn_conf_access_log_keeps_other_paths(tmp_path):
    line = _access_log_line(tmp_path, b"GET /seminars/san-diego/ HTTP/1.1\r\nHost: x\r\n\r\n")
    assert '"GET /seminars/san-diego/ HTTP/1.1" 200' in line
