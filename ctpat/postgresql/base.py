"""Django's PostgreSQL backend with a health check that costs no round trip while it passes.

``CONN_HEALTH_CHECKS`` makes Django ask a reused connection ``SELECT 1`` at the start of every
request that uses the database: one more round trip, and one more wait for the GIL, on each
registration. Between two requests the server has nothing to say on a healthy connection; when it
ends the session (a restart, an administrator's ``pg_terminate_backend``, an idle timeout) it
sends its error and closes its end, and the socket becomes readable. So the socket is polled
first, without waiting: only when it shows something is the server asked, as Django does.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        try:
            poller = select.poll()
            poller.register(connection.pgconn.socket, select.POLLIN)
            quiet = not poller.poll(0)
        except (AttributeError, OSError, ValueError, base.Database.Error):
            quiet = False  # no poll() here, or no socket: let the server answer
        return quiet or super().is_usable()
