"""Raw UTF-8 in a request target, accepted the way the providers' front ends accept it.

curl sends ``?tag_name=教育`` as the UTF-8 bytes themselves, unencoded; nginx in front of the
real providers takes them, and the application reads the query as UTF-8. aiohttp's C
parser (llhttp, built strict) refuses any byte >= 0x80 in a request line with its own
plain-text 400, and logs a traceback, before any route or middleware runs; aiohttp has no
option to relax that (its lenient flags are for response headers and chunk framing).

So :class:`TargetEncodingProtocol` sits between the socket and aiohttp's request handler
and percent-encodes those bytes (``教`` -> ``%E6%95%99``) in each request target and
nowhere else, before the parser sees them; yarl then decodes the query as UTF-8, as a real
server would. To know where each request line starts on a keep-alive or pipelined
connection, :class:`RequestFraming` follows the framing of every request (a
``Content-Length`` body, chunked bodies with their trailers) over reads split anywhere.
Methods, versions, headers and bodies are passed on byte for byte, so whatever aiohttp
refused before for another reason it still refuses. :class:`TargetEncodingSite` serves an
aiohttp runner this way (``Emulator.start`` uses it).
"""

from __future__ import annotations

import asyncio
import re
from typing import Final

from aiohttp import web

_HIGH: Final = re.compile(rb"[\x80-\xff]")
_DIGITS: Final = re.compile(rb"[0-9]+")
_HEX: Final = re.compile(rb"[0-9A-Fa-f]+")
# The headers that decide where a request ends (or that the connection stops being HTTP).
_FRAMING_HEADER: Final = re.compile(
    rb"\r\n(content-length|transfer-encoding|upgrade)[ \t]*:([^\r\n]*)", re.IGNORECASE
)
# A head or chunk line longer than this is refused by aiohttp anyway (8190-byte lines,
# 128 headers); past it the framing stops being followed rather than buffered forever.
_MAX_HEAD: Final = 128 * 8192
_MAX_LINE: Final = 8192

# The framing states: what the next byte of the connection is.
_BETWEEN: Final = 0  # before a request line (empty lines are allowed there, RFC 9112 2.2)
_REQUEST_LINE: Final = 1
_HEADERS: Final = 2
_BODY: Final = 3  # `_remaining` bytes of a Content-Length body
_CHUNK_SIZE: Final = 4  # a chunk-size line
_CHUNK_DATA: Final = 5  # `_remaining` bytes: a chunk's data and its CRLF
_TRAILERS: Final = 6  # trailer lines, up to an empty one
# Not HTTP/1.1 requests any more (an Upgrade, a CONNECT) or not understood (framing that
# aiohttp refuses and closes on): everything from here on is passed on as it is.
_OPAQUE: Final = 7


def _encode_target(line: bytes) -> bytes:
    """``line`` (a whole request line) with bytes >= 0x80 of its target percent-encoded."""
    if line.isascii():
        return line
    method, space, rest = line.partition(b" ")
    target, space_after, version = rest.rpartition(b" ")
    if not space or not space_after:
        return line  # not a request line: aiohttp refuses it as it is
    encoded = _HIGH.sub(lambda match: b"%%%02X" % match[0][0], target)
    return b"%s %s %s" % (method, encoded, version)


class RequestFraming:
    """Follows HTTP/1.1 request framing and percent-encodes bytes >= 0x80 in request targets.

    Feed it every byte of one connection, in order, split anyhow; it returns the bytes to
    hand to the HTTP parser. A request line is held back until it is whole (the parser
    can do nothing with part of one); only its target changes, and only if it holds such
    bytes. Every other byte is passed on as it came.
    """

    def __init__(self) -> None:
        self._state = _BETWEEN
        self._head = bytearray()  # the current request line and headers
        self._line = bytearray()  # a partial chunk-size or trailer line
        self._remaining = 0

    @property
    def following(self) -> bool:
        """False once the connection is no longer read as requests (upgrade, bad framing)."""
        return self._state != _OPAQUE

    def feed(self, data: bytes) -> bytes:
        """The bytes to pass on for ``data``, the connection's next bytes."""
        pieces: list[bytes] = []  # the output, only built when it differs from `data`
        copied = 0  # data[:copied] is accounted for in `pieces`
        at, end = 0, len(data)
        while at < end:
            state = self._state
            if state in (_BODY, _CHUNK_DATA):
                taken = min(self._remaining, end - at)
                at += taken
                self._remaining -= taken
                if not self._remaining:
                    self._state = _BETWEEN if state == _BODY else _CHUNK_SIZE
            elif state == _BETWEEN:
                while at < end and data[at] in b"\r\n":
                    at += 1
                if at == end:
                    break
                head_end = data.find(b"\r\n\r\n", at)
                if head_end < 0:  # the head goes on in a later read: byte by byte from here
                    self._state = _REQUEST_LINE
                    self._head.clear()
                    continue
                # The common case, a whole head in one read: no copy into `_head`.
                head_end += 4
                line_end = data.find(b"\n", at) + 1
                line = data[at:line_end]
                encoded = _encode_target(line)
                if encoded is not line:
                    pieces += (data[copied:at], encoded)
                    copied = line_end
                self._start_body(data[at:head_end])
                at = head_end
            elif state == _REQUEST_LINE:
                held = bool(self._head)
                newline = data.find(b"\n", at)
                stop = end if newline < 0 else newline + 1
                self._head += data[at:stop]
                if newline < 0:  # hold the start of the line back until it is whole
                    pieces.append(data[copied:at])
                    copied = stop
                    if len(self._head) > _MAX_LINE:  # aiohttp refuses it: let it
                        pieces.append(bytes(self._head))
                        self._stop_following()
                else:
                    line = bytes(self._head)
                    encoded = _encode_target(line)
                    if held or encoded is not line:
                        pieces += (data[copied:at], encoded)
                        copied = stop
                    self._state = _HEADERS
                at = stop
            elif state == _HEADERS:
                at = self._read_headers(data, at)
            elif state in (_CHUNK_SIZE, _TRAILERS):
                at = self._read_chunk_line(data, at)
            else:  # _OPAQUE
                break
        if not pieces:
            return data
        pieces.append(data[copied:])
        return b"".join(pieces)

    def _read_headers(self, data: bytes, at: int) -> int:
        # The head ends with an empty line: "\n\r\n" where the "\n" ends the request line
        # or the last header (aiohttp requires CRLF, so a bare "\n\n" ends nothing). The
        # search starts in the last two bytes already seen, so a split read is no matter.
        tail = bytes(self._head[-2:])
        edge = (tail + data[at : at + 2]).find(b"\n\r\n")
        if 0 <= edge < len(tail):
            head_end = at + edge + 3 - len(tail)
        else:
            blank = data.find(b"\n\r\n", at)
            head_end = -1 if blank < 0 else blank + 3
        if head_end < 0:
            self._head += data[at:]
            if len(self._head) > _MAX_HEAD:
                self._stop_following()
            return len(data)
        self._head += data[at:head_end]
        self._start_body(bytes(self._head))
        return head_end

    def _start_body(self, head: bytes) -> None:
        if head[:8].upper() == b"CONNECT ":
            self._stop_following()
            return
        length: int | None = None
        chunked = False
        for match in _FRAMING_HEADER.finditer(head):
            name, value = match[1].lower(), match[2].strip()
            if name == b"content-length":
                if length is not None or not _DIGITS.fullmatch(value):
                    self._stop_following()  # aiohttp refuses it, and closes
                    return
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = value.lower().rsplit(b",", 1)[-1].strip() == b"chunked"
            else:  # upgrade: what follows is another protocol
                self._stop_following()
                return
        if chunked and length is not None:
            self._stop_following()
        elif chunked:
            self._state = _CHUNK_SIZE
            self._line.clear()
        elif length:
            self._state = _BODY
            self._remaining = length
        else:
            self._state = _BETWEEN

    def _read_chunk_line(self, data: bytes, at: int) -> int:
        newline = data.find(b"\n", at)
        stop = len(data) if newline < 0 else newline + 1
        self._line += data[at:stop]
        if newline < 0:
            if len(self._line) > _MAX_LINE:
                self._stop_following()
            return stop
        line = bytes(self._line).rstrip(b"\r\n")
        self._line.clear()
        if self._state == _TRAILERS:
            if not line:
                self._state = _BETWEEN
            return stop
        size = line.split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size):
            self._stop_following()
        elif int(size, 16) == 0:
            self._state = _TRAILERS
        else:
            self._state = _CHUNK_DATA
            self._remaining = int(size, 16) + 2  # the data and its CRLF
        return stop

    def _stop_following(self) -> None:
        self._state = _OPAQUE
        self._head.clear()
        self._line.clear()


class TargetEncodingProtocol(asyncio.Protocol):
    """aiohttp's request handler for one connection, fed through :class:`RequestFraming`."""

    def __init__(self, handler: asyncio.Protocol) -> None:
        self._handler = handler
        self._framing = RequestFraming()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._handler.data_received(self._framing.feed(data))

    def eof_received(self) -> bool | None:
        return self._handler.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._handler.connection_lost(exc)

    def pause_writing(self) -> None:
        self._handler.pause_writing()

    def resume_writing(self) -> None:
        self._handler.resume_writing()


class TargetEncodingSite(web.BaseSite):
    """aiohttp's TCP site, each connection read through :class:`TargetEncodingProtocol`."""

    __slots__ = ("_host", "_port")

    def __init__(self, runner: web.BaseRunner, host: str, port: int) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port

    @property
    def name(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None  # BaseSite.__init__ refuses a runner not set up
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: TargetEncodingProtocol(server()), self._host, self._port
        )
