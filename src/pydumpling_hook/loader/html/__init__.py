"""See a crash in a browser: ``--html`` writes a one-file report, ``--serve`` a local site.

Both need Jinja2 (the ``[html]`` extra), imported here and only by those two
modes: capture never imports this package. ``view`` turns a ``Dump`` into what
the page shows, ``values`` and ``tree`` turn variables into trees, ``render``
applies the templates and the Content-Security-Policy, ``server`` and
``security`` are the read-only web server over a dump directory.
"""

from __future__ import annotations

from typing import Any

from .frames import DEFAULT_CONTEXT, MAX_CONTEXT


def report_html(dump: Any, context: int = DEFAULT_CONTEXT, served: bool = False) -> str:
    """The report of ``dump`` (a ``loader.Dump``) as one self-contained HTML page."""
    from .render import render_report
    from .view import report_view

    return render_report(report_view(dump, context), served).html


__all__ = ["DEFAULT_CONTEXT", "MAX_CONTEXT", "report_html"]
