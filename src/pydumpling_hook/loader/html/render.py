"""Jinja2 rendering of the report and the directory pages, with their CSP.

Every string from a dump reaches HTML only through Jinja2's autoescaping, in
element text or in quoted attributes, never in a URL, a ``style`` or a
script. The CSS and JavaScript are our own files, inlined so that a report is
one file that works offline; the Content-Security-Policy allows exactly those
two inline blocks, by their SHA-256 hashes, and no fetch of anything (a nonce
would be no better in a static file, where anyone can read it). So even if an
escaping bug let markup from a dump through, the browser would run no script
of it and load nothing.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any, NamedTuple

import jinja2
from markupsafe import Markup

from ..text import terminal
from .tree import walk
from .view import ReportView


class Asset(NamedTuple):
    """An inline CSS or JavaScript block and the CSP source that allows it."""

    text: Markup
    source: str


def _visible(value: Any) -> Any:
    """A dump's text with its terminal controls and bidi overrides written as escapes:
    HTML does not escape them, and a report written to a terminal (``--html -``) or
    shown in a browser must not obey them."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return terminal(value, lines=True)
    return value


@cache
def environment() -> jinja2.Environment:
    """The template environment: package templates, autoescape on for everything."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pydumpling_hook.loader.html", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_visible,
    )
    env.globals["walk"] = walk
    return env


@cache
def asset(name: str) -> Asset:
    """The file ``templates/<name>``, trusted as ours, with its ``'sha256-…'`` CSP source."""
    loader = environment().loader
    assert loader is not None
    text = loader.get_source(environment(), name)[0]
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Asset(Markup(text), f"'sha256-{digest}'")


class Page(NamedTuple):
    """A rendered page and its policy (in its ``<meta>``; a server sends it as a header too)."""

    html: str
    csp: str


def policy(script: Asset | None, style: Asset, served: bool = False) -> str:
    """The Content-Security-Policy of a page: nothing but its own inline script and style.

    A served page may also ask its own server whether the directory changed
    (``connect-src 'self'``) and submit the filter form to it.
    """
    parts = [
        "default-src 'none'",
        f"script-src {script.source}" if script else "script-src 'none'",
        f"style-src {style.source}",
        "base-uri 'none'",
        "form-action 'self'" if served else "form-action 'none'",
    ]
    if served:
        parts.append("connect-src 'self'")
    return "; ".join(parts)


def _page(template: str, script: str | None, served: bool, **context: Any) -> Page:
    js, css = (asset(script) if script else None), asset("page.css")
    csp = policy(js, css, served)
    html = environment().get_template(template).render(
        csp=csp, js=js.text if js else None, css=css.text, served=served, **context)
    return Page(html, csp)


def render_report(view: ReportView, served: bool = False) -> Page:
    """The report page of one dump."""
    return _page("report.html", "report.js", served, r=view)


def render_listing(**context: Any) -> Page:
    """The ``--serve`` page of a directory (see ``directory.listing_view``)."""
    return _page("listing.html", "listing.js", True, **context)


def render_text(**context: Any) -> Page:
    """A served page holding one text (a ``.fatal`` file) or one message (an unreadable dump)."""
    return _page("text.html", None, True, **context)
