"""The load tool of the rush benchmark: several processes, each running asyncio clients.

Every client is one raw HTTP/1.1 connection with keep-alive (reopened when the server closes it,
as gunicorn's sync workers do after each response). No dependency beyond the standard library,
and light enough that two processes keep a 2-core machine's app servers busy: the benchmark
measures that (the bare view with one load process and with all of them).

Each measurement gives a list of records ``(kind, status, started, ended)`` with times from
``time.monotonic()`` (one clock for every process on Linux); a status of 0 is a connection error
or a timeout.
"""

import asyncio
import multiprocessing
import queue
import re
import signal
import time
from collections import deque
from urllib.parse import urlencode

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 60.0

_INPUT = re.compile(rb"<input\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb'([\w-]+)="([^"]*)"')


class Connection:
    """One keep-alive HTTP/1.1 connection to one app server."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, headers: list[tuple[str, str]] = (), body: bytes = b""
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        for retry in (False, True):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            try:
                self.writer.write(data)
                await self.writer.drain()
                status, response_headers, response_body = await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                # A kept-alive connection the server closed in between: once more on a new one.
                if reused and not retry:
                    continue
                raise
            return status, response_headers, response_body
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, list[tuple[str, str]], bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = []
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers.append((name.strip().lower(), value.strip()))
        fields = dict(headers)
        if "content-length" in fields:
            body = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:
            body = await self.reader.read()
            self.close()
            return status, headers, body
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readline()).split(b";")[0].strip(), 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


def _ports_for(client: int, ports: list[int]) -> int:
    return ports[client % len(ports)]


# --- Fixed-duration GETs -------------------------------------------------------------------------


async def _get_client(port, paths, stop_at, records, index):
    connection = Connection(port)
    n = index
    while time.monotonic() < stop_at:
        path = paths[n % len(paths)]
        n += 1
        started = time.monotonic()
        try:
            status, _headers, _body = await asyncio.wait_for(
                connection.request("GET", path), REQUEST_TIMEOUT
            )
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            connection.close()
            status = 0
        records.append(("get", status, started, time.monotonic()))
    connection.close()


async def _get_process(ports, paths, clients, first_client, stop_at):
    records = []
    await asyncio.gather(
        *(
            _get_client(_ports_for(first_client + i, ports), paths, stop_at, records, i)
            for i in range(clients)
        )
    )
    return records


def _get_process_main(ports, paths, clients, first_client, stop_at):
    return asyncio.run(_get_process(ports, paths, clients, first_client, stop_at))


# --- Registration attempts -----------------------------------------------------------------------


def _inputs(html: bytes) -> list[dict[bytes, bytes]]:
    return [dict(_ATTRIBUTE.findall(tag)) for tag in _INPUT.findall(html)]


def form_parse(html: bytes) -> tuple[str | None, list[int], list[int]]:
    """The CSRF token, the workshop day ids and the session ids the form offers."""
    token, days, sessions = None, [], []
    for attrs in _inputs(html):
        name = attrs.get(b"name")
        if name == b"csrfmiddlewaretoken":
            token = attrs.get(b"value", b"").decode()
        elif name == b"workshop_day":
            days.append(int(attrs[b"value"]))
        elif name == b"sessions":
            sessions.append(int(attrs[b"value"]))
    return token, days, sessions


def _cookie(headers, name: str) -> str | None:
    for header, value in headers:
        if header == "set-cookie" and value.startswith(name + "="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None


async def _attempt(connection, form_path, attempt, slots_by_day, records):
    """One person: GET the form (its CSRF cookie and token, the day ids), then POST it."""
    started = time.monotonic()
    status, headers, body = await asyncio.wait_for(
        connection.request("GET", form_path), REQUEST_TIMEOUT
    )
    records.append(("form", status, started, time.monotonic()))
    if status != 200:
        return
    token, days, offered = form_parse(body)
    cookie = _cookie(headers, "csrftoken")
    if not token or not cookie or not days:
        records.append(("parse_error", status, started, time.monotonic()))
        return
    day = sorted(days)[attempt["day"] % len(days)]
    slots = slots_by_day.get(day, [])
    sessions = [
        slots[slot][pick % len(slots[slot])]
        for slot, pick in attempt["sessions"]
        if slot < len(slots) and slots[slot]
    ]
    fields = [
        ("csrfmiddlewaretoken", token),
        ("account_number", attempt["account_number"]),
        ("first_name", attempt["first_name"]),
        ("last_name", attempt["last_name"]),
        ("email", attempt["email"]),
        ("job_title", "Supply chain security manager"),
        ("phone", attempt["phone"]),
        ("workshop_day", str(day)),
        *(("sessions", str(s)) for s in sessions if s in offered),
    ]
    started = time.monotonic()
    status, _headers, _body = await asyncio.wait_for(
        connection.request(
            "POST",
            form_path,
            [
                ("Cookie", f"csrftoken={cookie}"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            urlencode(fields).encode(),
        ),
        REQUEST_TIMEOUT,
    )
    records.append(("post", status, started, time.monotonic()))


async def _rush_client(port, form_path, queue, slots_by_day, stop_at, records):
    connection = Connection(port)
    while queue and time.monotonic() < stop_at:
        attempt = queue.popleft()
        try:
            await _attempt(connection, form_path, attempt, slots_by_day, records)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            connection.close()
            now = time.monotonic()
            records.append(("post", 0, now, now))
    connection.close()


async def _rush_process(ports, form_path, attempts, slots_by_day, clients, first_client, stop_at):
    queue = deque(attempts)
    records = []
    await asyncio.gather(
        *(
            _rush_client(
                _ports_for(first_client + i, ports),
                form_path,
                queue,
                slots_by_day,
                stop_at,
                records,
            )
            for i in range(clients)
        )
    )
    return records


def _rush_process_main(*args):
    return asyncio.run(_rush_process(*args))


# --- Spreading over processes --------------------------------------------------------------------


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _child(target, arguments, results) -> None:
    # Ctrl-C and SIGTERM are the parent's to handle: it stops its children itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        results.put((True, target(*arguments)))
    except BaseException as exc:  # reported to the parent, which raises
        results.put((False, f"{type(exc).__name__}: {exc}"))


def _run(target, argument_sets) -> list[tuple]:
    """One process per argument set; their records, or an error if any failed. On any exception
    in the parent (Ctrl-C included) the children are terminated, not waited for."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    children = [
        context.Process(target=_child, args=(target, arguments, results), daemon=True)
        for arguments in argument_sets
    ]
    for child in children:
        child.start()
    records = []
    try:
        for _ in children:
            while True:
                try:
                    ok, value = results.get(timeout=1)
                    break
                except queue.Empty:
                    if not any(child.is_alive() for child in children) and results.empty():
                        raise RuntimeError("a load process died without a result") from None
            if not ok:
                raise RuntimeError(f"a load process failed: {value}")
            records.extend(value)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
        for child in children:
            child.join(5)
    return records


def get_load(*, ports, paths, clients, processes, seconds) -> list[tuple]:
    """``clients`` concurrent keep-alive clients GETting ``paths`` in turn for ``seconds``."""
    processes = max(1, min(processes, clients))
    stop_at = time.monotonic() + seconds
    arguments, first = [], 0
    for share in _split(clients, processes):
        arguments.append((ports, paths, share, first, stop_at))
        first += share
    return _run(_get_process_main, arguments)


def rush_load(
    *, ports, form_path, attempts, slots_by_day, clients, processes, seconds
) -> list[tuple]:
    """Every attempt once (GET the form, POST it) by ``clients`` concurrent clients, within
    ``seconds`` at most."""
    processes = max(1, min(processes, clients))
    stop_at = time.monotonic() + seconds
    arguments, first_client, first_attempt = [], 0, 0
    client_shares = _split(clients, processes)
    for share, count in zip(client_shares, _split(len(attempts), processes), strict=True):
        mine = attempts[first_attempt : first_attempt + count]
        arguments.append((ports, form_path, mine, slots_by_day, share, first_client, stop_at))
        first_client += share
        first_attempt += count
    return _run(_rush_process_main, arguments)
