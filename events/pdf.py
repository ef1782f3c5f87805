"""PDF documents from the project's HTML templates, through WeasyPrint.

WeasyPrint fetches what a page refers to (stylesheets, images) itself. Here it may read the
project's own static files and nothing else: no network, no file outside the static files, so a
name or company typed into a form can never make the server fetch anything.

WeasyPrint is imported when the first PDF is made, not with this module: the import costs about
a second of CPU and 40 MB, which app servers, the outbox worker and every command would pay at
start for nothing.
"""

import functools
import mimetypes
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpResponse

# The documents' base address: ``{% static %}`` paths resolve against it, and nothing else does.
BASE_URL = "https://pdf.invalid/"
# Paper sizes offered, by the name a query string gives.
PAPER_SIZES = {"a4": "A4", "letter": "letter"}


def static_file(url: str) -> tuple[Path, str]:
    """The file and content type of a static file's address in a document; ``ValueError`` for
    any other address (another site, a file outside the static files, one that does not exist).
    """
    prefix = urljoin(BASE_URL, settings.STATIC_URL)
    if not url.startswith(prefix):
        raise ValueError("only the site's static files can be read")
    name = unquote(urlsplit(url).path[len(urlsplit(prefix).path) :])
    try:
        found = finders.find(name)
        if found is None and staticfiles_storage.exists(name):
            found = staticfiles_storage.path(name)  # collected under its fingerprinted name
    except SuspiciousFileOperation:
        found = None
    if found is None:
        raise ValueError("no such static file")
    return Path(found), mimetypes.guess_type(name)[0] or "application/octet-stream"


@functools.cache
def _fetcher_class():
    import weasyprint.urls

    class StaticFilesFetcher(weasyprint.urls.URLFetcher):
        """Serve WeasyPrint the static files a template names; refuse every other address."""

        def fetch(self, url, headers=None):
            path, content_type = static_file(url)
            return weasyprint.urls.URLFetcherResponse(
                url, path.read_bytes(), {"Content-Type": content_type}
            )

    return StaticFilesFetcher


def pdf_render(html: str, *, stylesheets: Sequence[str] = ()) -> bytes:
    """The PDF of a rendered template; ``stylesheets`` are CSS texts applied after its own."""
    import weasyprint

    fetcher = _fetcher_class()()
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(
        stylesheets=[
            weasyprint.CSS(string=text, base_url=BASE_URL, url_fetcher=fetcher)
            for text in stylesheets
        ]
    )


def page_size_css(paper: str) -> str:
    """The ``@page`` rule of one of ``PAPER_SIZES``."""
    return f"@page {{ size: {PAPER_SIZES[paper]}; }}"


def pdf_response(content: bytes, *, filename: str, attachment: bool = False) -> HttpResponse:
    """A PDF as a response: shown in the browser, or downloaded with ``attachment``."""
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
