"""The :class:`Emulator`: a local stand-in for SendCloud or EngageLab, served over HTTP."""

from __future__ import annotations

import base64
import importlib
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from aiohttp import web

from mailseg.testing.app import Service
from mailseg.testing.contacts import (
    DEFAULT_CAMPAIGN_IDS,
    Contact,
    ContactsSource,
    generate_contacts,
    load_contacts,
)
from mailseg.testing.dialect import Dialect
from mailseg.testing.engagelab import EngageLabDialect
from mailseg.testing.faults import Faults
from mailseg.testing.ids import IdFactory
from mailseg.testing.recording import RecordedRequest
from mailseg.testing.request_line import TargetEncodingSite
from mailseg.testing.sendcloud import SendCloudDialect
from mailseg.testing.store import Store, StoredSegment, StoredTag

if TYPE_CHECKING:
    from mailseg import Client

Provider = Literal["sendcloud", "engagelab"]

#: The emulator's own credentials: fake, and only good for the emulator.
DEFAULT_API_USER = "emulator_user"
DEFAULT_API_KEY = "emulator-test-key-not-a-secret"
#: Ids that appear in the providers' examples, so emulated answers look like real ones.
DEFAULT_USER_ID = 100249
DEFAULT_LIST_ID = 63877

_DIALECTS: Mapping[str, type[Dialect]] = {
    "sendcloud": SendCloudDialect,
    "engagelab": EngageLabDialect,
}


class Emulator:
    """A faithful local stand-in for one provider's segment and tag API.

    Same paths, verbs, auth, key spelling, envelopes, status codes and error bodies as the
    provider's pages, over an in-memory account whose segments are evaluated for real.

    Use it as an async context manager, which serves it on 127.0.0.1 (an ephemeral port by
    default)::

        async with Emulator("engagelab", contacts=1000, seed=7) as emu:
            async with emu.client() as client:   # mailseg.connect(..., base_url=emu.base_url)
                ...
            assert emu.requests[-1].method == "POST"

    or mount :attr:`app` on aiohttp's ``TestServer``. ``python -m mailseg.testing`` serves one
    from the command line.

    Args:
        provider: "sendcloud" or "engagelab": the dialect spoken. Any ``str`` type-checks
            (a name from ``mailseg.providers()``, a setting); another name is a ValueError.
        contacts: how many contacts to generate from ``seed``; or contact mappings; or the
            path of a ``.csv`` / ``.jsonl`` file of them (see
            :func:`mailseg.testing.contacts.load_contacts` for the keys).
        seed: seeds the generated contacts and every id the emulator mints.
        api_user: the API user it accepts (SendCloud: ``Bearer base64(api_user:api_key)``;
            EngageLab: ``Basic base64(api_user:api_key)``).
        api_key: the API key it accepts, with ``api_user``.
        processing_polls: how many progress reads (``/process`` or detail) a new or updated
            segment reports status "1" with a rising percent before "2"; 0 completes at once.
        faults: latency and failures to inject; change them later through :attr:`faults`.
        host: where :meth:`start` listens.
        port: the port :meth:`start` listens on; 0 picks a free one.
        campaign_ids: campaigns that exist (have been sent) besides those in the contacts'
            events; a by-campaign segment naming another id is refused, as on the providers.
        user_id: the account id the answers show.
        list_id: the list id the answers show.
        max_recorded: how many requests :attr:`requests` keeps (the most recent); None keeps
            all, which costs memory in a bulk benchmark.
        on_progress: called as ``on_progress(done, total)`` while contacts are generated
            (each tenth, at least every 10,000, and at the end); the command line shows it.
    """

    def __init__(
        self,
        provider: str,
        contacts: ContactsSource = 1000,
        seed: int = 7,
        *,
        api_user: str = DEFAULT_API_USER,
        api_key: str = DEFAULT_API_KEY,
        processing_polls: int = 3,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        campaign_ids: Iterable[int] = DEFAULT_CAMPAIGN_IDS,
        user_id: int = DEFAULT_USER_ID,
        list_id: int = DEFAULT_LIST_ID,
        max_recorded: int | None = 1000,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        # A plain str, so the names mailseg.providers() returns type-check; a name the
        # emulator does not speak (a third-party adapter's) is refused here instead.
        if not isinstance(provider, str):
            raise TypeError(f"provider must be a str, not {type(provider).__name__}")
        if provider not in _DIALECTS:
            raise ValueError(
                f"provider must be one of {sorted(_DIALECTS)} (the providers the emulator "
                f"speaks), not {provider!r}"
            )
        #: "sendcloud" or "engagelab".
        self.provider: Provider = cast("Provider", provider)
        self.seed = seed
        self.host = host
        self._port = port
        self._api_user = api_user
        self._api_key = api_key
        ids = IdFactory(seed)
        campaigns = tuple(campaign_ids)
        if isinstance(contacts, bool):
            raise TypeError("contacts must be a number, contact mappings or a file path")
        if isinstance(contacts, int):
            seeds = generate_contacts(contacts, seed, ids, campaigns, on_progress)
        else:
            seeds = load_contacts(contacts, ids)
        store = Store(seeds, ids, campaign_ids=campaigns, processing_polls=processing_polls)
        dialect = _DIALECTS[provider](store, user_id=user_id, list_id=list_id)
        self._service = Service(
            dialect,
            api_user=api_user,
            api_key=api_key,
            faults=faults or Faults(),
            max_recorded=max_recorded,
        )
        self._store = store
        #: The aiohttp application; serve it yourself (``aiohttp.test_utils.TestServer``) or
        #: let :meth:`start` do it.
        self.app: web.Application = self._service.make_app()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # -- serving ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on ``host``:``port``; :attr:`base_url` says where."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            # Not web.TCPSite: raw UTF-8 in a request target must reach the app (see
            # mailseg.testing.request_line).
            site = TargetEncodingSite(runner, self.host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        port = runner.addresses[0][1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._base_url = f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop listening (the state stays inspectable)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: scheme, host and port only (paths carry the prefix)."""
        if self._base_url is None:
            raise RuntimeError("the emulator is not running: use `async with` or start()")
        return self._base_url

    @property
    def credentials(self) -> Mapping[str, str]:
        """``{"api_user": ..., "api_key": ...}``, what :func:`mailseg.connect` takes."""
        return types.MappingProxyType({"api_user": self._api_user, "api_key": self._api_key})

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header value the emulator accepts (for raw HTTP and curl)."""
        token = base64.b64encode(f"{self._api_user}:{self._api_key}".encode()).decode()
        return f"{self._service.dialect.auth_scheme} {token}"

    @property
    def prefix(self) -> str:
        """The provider's path prefix: ``/marketing/lists`` or ``/v1/marketing/lists``."""
        return self._service.dialect.prefix

    @property
    def update_method(self) -> str:
        """The provider's update verb: ``PATCH`` (SendCloud) or ``PUT`` (EngageLab)."""
        return self._service.dialect.update_method

    def client(self, **overrides: Any) -> Client:
        """A mailseg client for this emulator: ``mailseg.connect(provider, ...)``.

        ``overrides`` go to :func:`mailseg.connect` and win over the emulator's own
        arguments (``api_key="wrong"`` to test a failed authentication, ``max_retries=0``).
        Use it as an async context manager, as any client.
        """
        # Imported here, not at the top: the emulator itself needs nothing of the SDK, and
        # importing mailseg.testing must stay cheap (the pytest plugin imports it).
        mailseg = importlib.import_module("mailseg")
        options: dict[str, Any] = {
            "api_user": self._api_user,
            "api_key": self._api_key,
            "base_url": self.base_url,
            **overrides,
        }
        return cast("Client", mailseg.connect(self.provider, **options))

    # -- state --------------------------------------------------------------------------------

    @property
    def contacts(self) -> Sequence[Contact]:
        """All contacts, in list order (live objects: treat as read-only)."""
        return self._store.contacts

    def contact(self, contact_id: str) -> Contact:
        """The contact with this id (KeyError if none)."""
        return self._store.contacts[self._store.index[contact_id]]

    @property
    def tags(self) -> Mapping[str, StoredTag]:
        """Tags by id, oldest first (read-only view of live objects)."""
        return types.MappingProxyType(self._store.tags)

    def tag_named(self, name: str) -> StoredTag | None:
        """The tag with this name, if any."""
        tag_id = self._store.tag_ids_by_name.get(name)
        return None if tag_id is None else self._store.tags[tag_id]

    @property
    def segments(self) -> Mapping[str, StoredSegment]:
        """Segments by id, oldest first (read-only view of live objects)."""
        return types.MappingProxyType(self._store.segments)

    def member_ids(self, segment_id: str) -> list[str]:
        """The ids of a segment's members, in order (KeyError if no such segment)."""
        contacts = self._store.contacts
        return [contacts[i].id for i in self._store.segments[segment_id].members]

    def fail_segment(self, segment_id: str) -> None:
        """Make a segment report status "-1" (failed) until it is updated.

        The providers document the status but not what causes it; this lets a test see
        how a client handles it (mailseg raises ``SegmentFailedError`` while waiting).
        """
        self._store.segments[segment_id].failed = True

    def tag_member_ids(self, tag_id: str) -> list[str]:
        """The ids of the contacts carrying a tag, in contact order."""
        contacts = self._store.contacts
        return [contacts[i].id for i in self._store.tag_members(self._store.tags[tag_id])]

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received, oldest first (at most ``max_recorded``), auth redacted."""
        return list(self._service.recorded)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._service.recorded.clear()

    # -- faults -------------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """The faults being injected. Assigning new ones restarts their schedule and draws."""
        return self._service.faults

    @faults.setter
    def faults(self, faults: Faults | None) -> None:
        self._service.faults = faults or Faults()

    def set_faults(self, **kwargs: Any) -> Faults:
        """Install ``Faults(**kwargs)`` (no arguments: none) and return it."""
        self.faults = Faults(**kwargs)
        return self.faults
