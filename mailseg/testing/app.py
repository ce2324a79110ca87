"""The aiohttp application: routes, authentication, recording, fault injection, handlers.

One :class:`Service` serves one provider's dialect over one :class:`~mailseg.testing.store.Store`.
A request goes through, in order: recording, latency and fault draw, authentication, route
resolution (unknown path 404, wrong verb 405, both in the provider's error format), the
handler. Handlers are plain synchronous code between awaits, so each request sees and leaves
a consistent state even under heavy concurrency.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextvars
import hmac
import json
import logging
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Final

import attrs
from aiohttp import web

from mailseg.testing.dialect import Dialect, Reply
from mailseg.testing.errors import ApiError, ErrorKind, invalid, not_found
from mailseg.testing.faults import FaultKind, FaultPlan, Faults, RawReply, fault_reply
from mailseg.testing.parsing import MALFORMED
from mailseg.testing.recording import RecordedRequest, redact_headers
from mailseg.testing.store import Store

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_log = logging.getLogger("mailseg.testing")

# The parsed body, handed from the middleware (which reads it once, to record it) to the
# handler. A context variable rather than a request key: it works on every aiohttp version.
_BODY: Final[contextvars.ContextVar[object]] = contextvars.ContextVar("mailseg_body")
# Large enough for a 1000-id tagging request many times over; the default is 1 MiB.
_CLIENT_MAX_SIZE: Final = 16 * 1024 * 1024


def _json_response(reply: Reply) -> web.Response:
    if reply.body is None:
        return web.Response(status=reply.status, headers=reply.headers)
    data = json.dumps(reply.body, ensure_ascii=False, separators=(",", ":")).encode()
    return web.Response(
        status=reply.status,
        body=data,
        content_type="application/json",
        charset="utf-8",
        headers=reply.headers,
    )


def _raw_response(reply: RawReply) -> web.Response:
    return web.Response(
        status=reply.status, body=reply.body, content_type=reply.content_type, headers=reply.headers
    )


def _reset(request: web.Request) -> None:
    """Drop the connection with a TCP reset, answering nothing."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0: closing sends RST instead of FIN, as a crashed proxy would.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    request.protocol.force_close()


class Service:
    """The emulated provider: its dialect, state, credentials, request log and faults."""

    def __init__(
        self,
        dialect: Dialect,
        *,
        api_user: str,
        api_key: str,
        faults: Faults,
        max_recorded: int | None,
    ) -> None:
        self.dialect = dialect
        self.store: Store = dialect.store
        self.reader = dialect.reader
        self._credential = base64.b64encode(f"{api_user}:{api_key}".encode()).decode()
        self.recorded: collections.deque[RecordedRequest] = collections.deque(maxlen=max_recorded)
        self._received = 0
        self.plan = FaultPlan(faults)

    @property
    def faults(self) -> Faults:
        """The faults being injected."""
        return self.plan.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        # A fresh plan: schedule indices and random draws start over from the new seed.
        self.plan = FaultPlan(faults)

    # -- the application ----------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """A new aiohttp application serving this service (state is shared, not copied)."""
        app = web.Application(middlewares=[self._middleware], client_max_size=_CLIENT_MAX_SIZE)
        p = self.dialect.prefix
        update = self.dialect.update_method
        app.router.add_routes(
            [
                web.post(f"{p}/segments", self._create_segment),
                web.get(f"{p}/segments", self._list_segments, allow_head=False),
                web.get(f"{p}/segments/{{segment_id}}", self._get_segment, allow_head=False),
                web.route(update, f"{p}/segments/{{segment_id}}", self._update_segment),
                web.delete(f"{p}/segments/{{segment_id}}", self._delete_segment),
                web.get(f"{p}/segments/{{segment_id}}/process", self._progress, allow_head=False),
                web.post(f"{p}/segments/{{segment_id}}/members", self._segment_members),
                web.delete(f"{p}/segments/{{segment_id}}/members", self._remove_members),
                web.post(f"{p}/tags", self._create_tag),
                web.get(f"{p}/tags", self._list_tags, allow_head=False),
                web.route(update, f"{p}/tags/{{tag_id}}", self._update_tag),
                web.delete(f"{p}/tags/{{tag_id}}", self._delete_tag),
                web.post(f"{p}/tags/{{tag_id}}/add", self._tag_add),
                web.post(f"{p}/tags/{{tag_id}}/remove", self._tag_remove),
                web.get(f"{p}/tags/{{tag_id}}/members", self._tag_members, allow_head=False),
            ]
        )
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        record = await self._record(request)
        draw = self.plan.draw()
        record.fault = draw.fault
        record.delay = draw.delay
        if draw.delay:
            await asyncio.sleep(draw.delay)
        if draw.fault is not None and draw.fault is not FaultKind.APPLY_THEN_500:
            reply = fault_reply(draw.fault, self.dialect, self.faults.retry_after)
            if reply is None:
                _reset(request)
                # Nothing reaches the client: aiohttp finds the transport gone and drops this.
                return web.Response(status=499)
            record.status = reply.status
            if isinstance(reply, RawReply):
                return _raw_response(reply)
            return _json_response(reply)
        response = await self._dispatch(request, handler)
        if record.body_unread:
            response.force_close()
        if draw.fault is FaultKind.APPLY_THEN_500:
            # The handler ran and its effect stays; only the answer is lost.
            reply = fault_reply(draw.fault, self.dialect, 0)
            assert isinstance(reply, Reply)
            response = _json_response(reply)
        record.status = response.status
        return response

    async def _record(self, request: web.Request) -> RecordedRequest:
        raw = b""
        body: object
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            body = ApiError(
                ErrorKind.TOO_LARGE, f"request body is larger than {_CLIENT_MAX_SIZE} bytes"
            )
        except web.RequestPayloadError:
            # A body that cannot be decoded (a bad Content-Encoding, broken chunks): refused
            # in the provider's format rather than by aiohttp's plain-text 500. The stream is
            # marked ended so aiohttp does not read on into the same error (and log it) after
            # the answer; the connection is closed after the answer, as its framing is lost.
            request.content.feed_eof()
            body = invalid("", "request body could not be read")
        else:
            body = self.reader.body(raw)
        _BODY.set(body)
        record = RecordedRequest(
            index=self._received,
            method=request.method,
            path=request.raw_path.split("?", 1)[0],
            query={key: value for key, value in request.query.items()},
            headers=redact_headers(request.headers),
            body=None if body is MALFORMED or isinstance(body, ApiError) else body,
            raw_body_size=len(raw),
            body_unread=isinstance(body, ApiError) and not raw,
        )
        self._received += 1
        self.recorded.append(record)
        return record

    async def _dispatch(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            self._authenticate(request)
            route_error = request.match_info.http_exception
            if isinstance(route_error, web.HTTPMethodNotAllowed):
                allowed = ", ".join(sorted(route_error.allowed_methods))
                reply = self.dialect.error(
                    ApiError(
                        ErrorKind.METHOD_NOT_ALLOWED,
                        f"method {request.method} is not allowed here; allowed: {allowed}",
                    )
                )
                # RFC 9110, 15.5.6: a 405 must list the methods the resource takes.
                return _json_response(attrs.evolve(reply, headers={"Allow": allowed}))
            if route_error is not None:
                raise not_found("not found")
            body = _BODY.get(None)
            if isinstance(body, ApiError) and body.kind is ErrorKind.TOO_LARGE:
                raise body  # too large for any endpoint, whether it reads a body or not
            return await handler(request)
        except ApiError as error:
            return _json_response(self.dialect.error(error))
        except Exception:
            # A bug of the emulator. Still answered in the provider's format (the tests that
            # fuzz the emulator fail on any 5xx), never as aiohttp's plain-text page.
            _log.exception("the emulator failed on %s %s", request.method, request.path)
            return _json_response(
                self.dialect.error(ApiError(ErrorKind.SERVER_ERROR, "internal error"))
            )

    def _authenticate(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, credential = header.strip().partition(" ")
        valid = scheme.lower() == self.dialect.auth_scheme.lower() and hmac.compare_digest(
            credential.strip().encode(), self._credential.encode()
        )
        if not valid:
            raise ApiError(ErrorKind.UNAUTHORIZED, "Unauthorized")

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _body(request: web.Request) -> object:
        return _BODY.get(None)

    # -- segments -----------------------------------------------------------------------------

    async def _create_segment(self, request: web.Request) -> web.StreamResponse:
        spec = self.reader.segment(self._body(request), self.store, create=True)
        assert spec.name is not None
        segment = self.store.create_segment(spec.name, spec.type, spec.condition)
        return _json_response(
            self.dialect.segment_created(segment, segment.progress(advance=False))
        )

    async def _update_segment(self, request: web.Request) -> web.StreamResponse:
        segment_id = request.match_info["segment_id"]
        self.store.segment(segment_id)  # an unknown id is a 404 before a bad body is a 400
        spec = self.reader.segment(self._body(request), self.store, create=False)
        segment = self.store.update_segment(segment_id, spec.name, spec.type, spec.condition)
        return _json_response(
            self.dialect.segment_updated(segment, segment.progress(advance=False))
        )

    async def _delete_segment(self, request: web.Request) -> web.StreamResponse:
        self.store.delete_segment(request.match_info["segment_id"])
        return _json_response(self.dialect.segment_deleted())

    async def _get_segment(self, request: web.Request) -> web.StreamResponse:
        segment = self.store.segment(request.match_info["segment_id"])
        return _json_response(self.dialect.segment_detail(segment, segment.progress(advance=True)))

    async def _progress(self, request: web.Request) -> web.StreamResponse:
        segment = self.store.segment(request.match_info["segment_id"])
        return _json_response(self.dialect.segment_progress(segment.progress(advance=True)))

    async def _list_segments(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        self.reader.check_query(query, ("segment_name", "type", "offset", "page_size"))
        page = self.reader.page(query)
        type_ = self.reader.type_filter(query)
        name = query.get(self.reader.key("segment_name")) or None
        found = self.store.list_segments(name, type_)
        shown = [(s, s.progress(advance=False)) for s in page.slice(found)]
        return _json_response(self.dialect.segment_list(shown, len(found)))

    async def _segment_members(self, request: web.Request) -> web.StreamResponse:
        segment = self.store.segment(request.match_info["segment_id"])
        self.reader.check_query(request.query, ("offset", "page_size"))
        page = self.reader.page(request.query)
        condition = self.reader.members_filter(self._body(request), self.store)
        members = self.store.segment_members(segment, condition)
        contacts = self.store.contacts
        shown = [contacts[i] for i in page.slice(members)]
        return _json_response(self.dialect.segment_members(shown, len(members)))

    async def _remove_members(self, request: web.Request) -> web.StreamResponse:
        segment = self.store.segment(request.match_info["segment_id"])
        ids = self.reader.member_ids(self._body(request))
        removed = self.store.remove_segment_members(segment, ids)
        return _json_response(self.dialect.segment_members_removed(removed))

    # -- tags ---------------------------------------------------------------------------------

    async def _create_tag(self, request: web.Request) -> web.StreamResponse:
        name = self.reader.tag_name(self._body(request), required=True)
        assert name is not None
        return _json_response(self.dialect.tag_created(self.store.create_tag(name)))

    async def _update_tag(self, request: web.Request) -> web.StreamResponse:
        tag = self.store.tag(request.match_info["tag_id"])
        name = self.reader.tag_name(self._body(request), required=False)
        if name is not None:
            tag = self.store.rename_tag(tag.id, name)
        return _json_response(self.dialect.tag_updated(tag))

    async def _delete_tag(self, request: web.Request) -> web.StreamResponse:
        self.store.delete_tag(request.match_info["tag_id"])
        return _json_response(self.dialect.tag_deleted())

    async def _list_tags(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        self.reader.check_query(query, ("tag_name", "offset", "page_size"))
        page = self.reader.page(query)
        name = query.get(self.reader.key("tag_name")) or None
        found = self.store.list_tags(name)
        return _json_response(self.dialect.tag_list(page.slice(found), len(found)))

    async def _tag_add(self, request: web.Request) -> web.StreamResponse:
        return self._tag_apply(request, add=True)

    async def _tag_remove(self, request: web.Request) -> web.StreamResponse:
        return self._tag_apply(request, add=False)

    def _tag_apply(self, request: web.Request, *, add: bool) -> web.StreamResponse:
        tag_id = request.match_info["tag_id"]
        self.store.tag(tag_id)
        ids = self.reader.member_ids(self._body(request))
        count = self.store.tag_contacts(tag_id, ids, add=add)
        return _json_response(self.dialect.tag_applied(count))

    async def _tag_members(self, request: web.Request) -> web.StreamResponse:
        tag = self.store.tag(request.match_info["tag_id"])
        self.reader.check_query(request.query, ("offset", "page_size"))
        page = self.reader.page(request.query)
        members = self.store.tag_members(tag)
        contacts = self.store.contacts
        shown = [contacts[i] for i in page.slice(members)]
        return _json_response(self.dialect.tag_members(shown, len(members)))
