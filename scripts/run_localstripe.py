"""Run localstripe, the local Stripe stand-in, as its own process, with a store that survives a restart.

localstripe is GPL software: the shop never imports it. This launcher runs in localstripe's own process
(supervisord's ``localstripe`` program, and the tests' instances) and changes only how that process keeps
its data. localstripe 1.15.10 keeps every object in one dict that it pickles to ``/tmp/localstripe.pickle``
after every change. That has three faults, and a restart under load hits all of them:

- Loading calls the store's ``__setitem__`` once per object, and each call rewrites the file that is being
  read. A store of a few thousand objects (a few hundred paid orders) therefore fails to load with
  "pickle data was truncated", and the half-written file is all that is left: the restarted processor has
  forgotten every payment, and captures answer 404.
- A write is not atomic: a process killed during one leaves a file that cannot be read.
- Every instance, the tests' ``--from-scratch`` ones too, writes the same path.

Here the store lives at ``--store PATH`` (none: memory only). It is loaded without writing, and written to a
temporary file that then replaces the old one, so the file always holds a whole store. A request's changes
are written once, before its answer is sent, rather than once per changed object; changes made outside a
request (localstripe's delayed callbacks) are written on the next turn of the event loop.

The browser creates PaymentMethods, as with Stripe.js: the stand-in script served at ``/js.stripe.com/v3/``
gets ``createPaymentMethod`` (``scripts/localstripe_payment_methods.js``, served after localstripe's own
script, both in a function scope of their own: see ``stand_in_script``), and ``POST /v1/payment_methods``
takes the publishable key (``key=pk_…`` in the form), as Stripe does and as localstripe already lets
``/v1/tokens`` do. Every other route checks keys as localstripe does.
"""

import argparse
import asyncio
import logging
import os
import pickle
import socket
import sys
import tempfile
from pathlib import Path

from aiohttp import web
from localstripe import resources, server

log = logging.getLogger("localstripe.store")
STAND_IN_PATH = "/js.stripe.com/v3/"
STAND_IN_ADDITION = Path(__file__).resolve().with_name("localstripe_payment_methods.js")


class Persistence:
    """Writes localstripe's store to one file, whole and at most once per request."""

    def __init__(self, path: Path | None):
        self.path = path
        self.loading = False
        self.dirty = False
        self.flush_queued = False

    def changed(self) -> None:
        """localstripe changed an object (its ``Store.dump_to_disk``)."""
        if self.path is None or self.loading:
            return
        self.dirty = True
        if not self.flush_queued:  # outside a request, nothing else would write it
            self.flush_queued = True
            asyncio.get_event_loop().call_soon(self.flush)

    def flush(self) -> None:
        self.flush_queued = False
        if not self.dirty or self.path is None:
            return
        self.dirty = False
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name + ".")
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump(dict(resources.store), file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.path)
        except BaseException:
            os.unlink(temporary)
            raise

    def load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        self.loading = True
        try:
            with self.path.open("rb") as file:
                saved = pickle.load(file)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, ValueError) as error:
            # a file from an older writer: keep it aside, start empty
            aside = self.path.with_name(self.path.name + ".unreadable")
            os.replace(self.path, aside)
            log.error("could not read %s (%s): moved to %s, starting empty", self.path, error, aside)
            return
        finally:
            self.loading = False
        dict.update(resources.store, saved)
        log.warning("loaded %d objects from %s", len(saved), self.path)


def accept_current_api() -> None:
    """The shop speaks the API version the ``stripe`` library pins, where a PaymentIntent names its
    payment methods with ``allowed_payment_method_types`` (``payment_method_types`` is refused there);
    localstripe 1.15 knows only the older name, which means the same for a card-only intent."""
    original = resources.PaymentIntent.__init__

    def init(self, *args, allowed_payment_method_types=None, **kwargs):
        if allowed_payment_method_types is not None:
            kwargs["payment_method_types"] = allowed_payment_method_types
        original(self, *args, **kwargs)

    resources.PaymentIntent.__init__ = init


def stand_in_script() -> str:
    """localstripe's Stripe.js stand-in, followed by ChefShop's ``createPaymentMethod``, in a scope of their own.

    localstripe's script declares its names at the top level of a classic script, ``class Element`` among them,
    and such a declaration shadows the page's own global of that name for every script of the page: once it
    has run, htmx's ``node instanceof Element`` is false for every node, and htmx drops every request its
    triggers start (``htmx:targetError``). Run in a function, the script only sets ``window.Stripe``, as
    Stripe.js does."""
    own = Path(server.__file__).resolve().with_name("localstripe-v3.js").read_text()
    return "(function () {\n" + own + "\n" + STAND_IN_ADDITION.read_text() + "\n})();\n"


@web.middleware
async def publishable_key_creates_payment_methods(request, handler):
    """localstripe's ``auth_middleware``, except that ``POST /v1/payment_methods`` also takes the publishable
    key in its form data, the way localstripe lets ``POST /v1/tokens`` take it."""
    if request.method == "POST" and request.path == "/v1/payment_methods" and server.get_api_key(request) is None:
        data = await server.get_post_data(request, remove_auth=False)
        key = data.get("key") if isinstance(data, dict) else None
        if isinstance(key, str) and key.startswith("pk_") and len(key) > 5:
            return await handler(request)
    return await server.auth_middleware(request, handler)


def patch_app(app: web.Application) -> None:
    """Serve the stand-in with ``createPaymentMethod`` and let the publishable key create PaymentMethods."""
    script = stand_in_script()

    @web.middleware
    async def stand_in(request, handler):
        if request.path == STAND_IN_PATH and request.method in ("GET", "HEAD"):
            return web.Response(text=script, content_type="application/javascript")
        return await handler(request)

    middlewares = app.middlewares
    middlewares[middlewares.index(server.auth_middleware)] = publishable_key_creates_payment_methods
    middlewares.append(stand_in)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--store", type=Path, help="file that keeps the data across restarts (default: none)")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")

    persistence = Persistence(args.store.resolve() if args.store else None)
    resources.Store.dump_to_disk = lambda store: persistence.changed()
    persistence.load()
    accept_current_api()

    @web.middleware
    async def written_before_answer(request, handler):
        try:
            return await handler(request)
        finally:
            if request.method == "DELETE" and request.path == "/_config/data":
                persistence.dirty = True  # localstripe empties its store with dict.clear(), which says nothing
            persistence.flush()

    server.app.middlewares.append(written_before_answer)
    patch_app(server.app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    access = logging.getLogger("aiohttp.access")
    access.setLevel(logging.WARNING if args.quiet else logging.DEBUG)
    web.run_app(server.app, sock=sock, access_log=access, print=None)


if __name__ == "__main__":
    main()
