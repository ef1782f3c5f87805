"""gunicorn settings for production: ``gunicorn -c ctpat/gunicorn.conf.py ctpat.wsgi:application``.

Everything host-specific comes from the environment; command-line flags (``--bind``,
``--workers``) override this file.

- ``GUNICORN_BIND``: address to listen on (default ``127.0.0.1:8000``; behind a proxy or a load
  balancer, keep it on a private address).
- ``GUNICORN_WORKERS``: worker processes (default: one per core). Rendering is CPU work under
  the GIL, so a process per core keeps every core busy, and its threads wait on PostgreSQL in
  turn. More processes than cores only share the cores, with longer queues behind the busiest
  one: the rush benchmark on 2 cores, with 2 instances, measured 1 worker of 8 threads each at
  240 to 256 registrations/s with a p99 of 0.4 to 0.46 s, against 200/s and 0.9 s for 3
  workers of 4.
- ``GUNICORN_WORKER_CLASS``: ``gthread`` (default, ``GUNICORN_THREADS`` threads per worker,
  default 8) or ``sync``. The rush benchmark measured gthread about twice as fast as sync on 2
  cores: it keeps connections alive and renders in one thread while another waits on PostgreSQL.
- ``GUNICORN_TIMEOUT``: seconds before a stuck worker is killed and replaced (default 30). A
  ``gthread`` worker's main loop keeps its heartbeat while a thread renders a long request (a
  whole seminar's badge PDF), so it bounds a hung process, not a slow request; a ``sync``
  worker is killed in the middle of a request that takes longer.
- ``GUNICORN_CONTROL_SOCKET``: path of gunicorn's control socket (off unless set).
- ``GUNICORN_ACCESS_LOG``: ``-`` for stdout (default), a file path, or empty to switch it off.
  Private links' tokens never reach it (``ctpat.accesslog``).

Each worker thread holds its own database connection (``CONN_MAX_AGE``): workers times threads
times app servers must stay below PostgreSQL's ``max_connections`` (or put PgBouncer in front).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count())
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = _int("GUNICORN_THREADS", 8)

# A worker whose heartbeat stops this long is stuck: it is killed and replaced rather than held
# forever (the database has its own, shorter statement and lock timeouts).
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A queue of connections waiting for a free worker during a rush.
backlog = _int("GUNICORN_BACKLOG", 2048)

# Recycle workers now and then so that a slow leak can never take a server down; the jitter keeps
# them from all restarting at the same moment.
max_requests = _int("GUNICORN_MAX_REQUESTS", 100_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 10_000)

# Limits on the request line and headers (the defaults, stated): a huge request is refused before
# it reaches Django.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# The heartbeat file of each worker: in memory, so that a slow or full disk cannot make the
# arbiter think its workers are stuck.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# The access log carries the path only, never the query string (it could hold personal data),
# and no cookies or other headers; the logger replaces the token of a private link
# (/registrations/<token>/, /company/<token>/) in every value a format can name, the Referer too.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
logger_class = "ctpat.accesslog.AccessLogger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client address comes from the trusted proxy only (set FORWARDED_ALLOW_IPS to its address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "ctpat"

# gunicorn's control socket (``gunicornc``) defaults to one path per user, which two instances on
# one host would fight over: only with an explicit path.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


def post_worker_init(worker) -> None:
    """Freeze what the loaded app holds out of the garbage collector's full passes.

    The app's modules, models, settings and URL patterns live as long as the worker. A full
    collection traversed them all, again and again (measured in a rush: 34 full collections per
    worker, 65 ms each on average and up to 108 ms, every thread of the worker stopped). Frozen,
    only what requests create since is traversed (0.47 s of full collections per worker in place
    of 2.2 s, the longest 42 ms). The objects still go when the worker exits.
    """
    import gc

    gc.collect()
    gc.freeze()
