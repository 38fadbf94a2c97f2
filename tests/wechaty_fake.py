"""A fake wechaty puppet service: a real gRPC server (grpclib) on loopback speaking the
`wechaty.Puppet` protocol with the message classes of `wechaty_grpc.wechaty.puppet`.

It keeps contacts, rooms and messages in memory, streams events to the connected client,
and stores what the client sends (MessageSendText / MessageSendFile) as messages, because
`room.say()` fetches the sent message's payload afterwards.

Like the real gateways (wechaty-puppet-service 1.x) it serves TLS when given a context
(`loopback_pki()` makes a CA and a server certificate), checks `authorization: Wechaty
<token>` on every call (a wrong token is echoed in the error, as the gateways do), and
opens each event stream with a heartbeat.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime
import functools
import itertools
import json
import shutil
import socket
import ssl
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpclib.const import Cardinality, Handler, Status
from grpclib.exceptions import GRPCError
from grpclib.protocol import H2Protocol
from grpclib.server import Server, Stream
from wechaty_grpc.wechaty import puppet as pb

TEXT = 7  # the TypeScript numbering the client maps (Text=7)
# python-wechaty drops a message id it has seen before, process-wide: ids are unique per run.
_IDS = itertools.count(1)
IMAGE = 6


@dataclass
class Sent:
    conversation_id: str
    text: str
    mention_ids: list[str]
    message_id: str
    filebox: str = ""


@dataclass
class FakeState:
    """What survives a server restart (the "account" behind the puppet)."""

    self_id: str = "bot-self"
    self_name: str = "小助手"
    contacts: dict[str, str] = field(default_factory=dict)  # id -> name
    rooms: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # id -> topic, members
    messages: dict[str, pb.MessagePayloadResponse] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)


@dataclass(frozen=True)
class LoopbackPki:
    """A throwaway CA and a certificate for `server_name` it signed, as PEM files."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    server_name: str

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        ctx.set_alpn_protocols(["h2"])
        return ctx


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@functools.cache
def loopback_pki(server_name: str = "groupops-test") -> LoopbackPki:
    """Made once per test process (EC keys: fast)."""
    folder = Path(tempfile.mkdtemp(prefix="groupops-test-pki-"))
    atexit.register(shutil.rmtree, folder, True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("groupops test root CA"))
        .issuer_name(_name("groupops test root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(server_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(server_name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pki = LoopbackPki(folder / "ca.pem", folder / "server.pem", folder / "server.key", server_name)
    pki.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pki


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class FakePuppet:
    """The gRPC service. `__mapping__` is what grpclib's Server asks a handler for."""

    def __init__(
        self,
        state: FakeState | None = None,
        *,
        auto_login: bool = True,
        token: str = "",
        calls: list[str] | None = None,
        silent_until_start: bool = False,
    ) -> None:
        self.state = state or FakeState()
        # like some community gateways: no heartbeat on a new stream, the login after Start
        self.silent_until_start = silent_until_start
        self.state.contacts.setdefault(self.state.self_id, self.state.self_name)
        self.auto_login = auto_login
        self.token = token  # "" accepts any caller
        self.calls: list[str] = [] if calls is None else calls  # every RPC, refused ones too
        self.authorizations: list[str | None] = []  # the authorization header of each
        self._streams: list[asyncio.Queue[pb.EventResponse | None]] = []
        self.stream_opened = asyncio.Event()
        self.got_send = asyncio.Event()
        self._ids = _IDS
        self.fail_sends = 0  # the next N MessageSendText calls fail with UNAVAILABLE
        self.hang_ding = False  # Ding never answers (a half-open connection)
        self.dinged = asyncio.Event()

    # --- test controls -----------------------------------------------------------------------

    def add_room(self, room_id: str, topic: str, members: dict[str, str]) -> None:
        self.state.contacts.update(members)
        self.state.rooms[room_id] = (topic, [self.state.self_id, *members])

    def push(self, kind: int, payload: dict[str, Any]) -> None:
        event = pb.EventResponse(type=kind, payload=json.dumps(payload))
        for queue in self._streams:
            queue.put_nowait(event)

    def room_text(
        self,
        room_id: str,
        talker_id: str,
        text: str,
        *,
        mention_ids: list[str] | None = None,
        message_id: str | None = None,
        timestamp: int | None = None,
        kind: int = TEXT,
    ) -> str:
        """A member speaks in a room: store the payload, then announce it on the stream."""
        mid = message_id or f"in-{next(self._ids)}"
        self.state.messages[mid] = pb.MessagePayloadResponse(
            id=mid,
            text=text,
            timestamp=timestamp or int(time.time() * 1000),
            type=kind,
            from_id=talker_id,
            room_id=room_id,
            mention_ids=mention_ids or [],
        )
        self.push(pb.EventType.EVENT_TYPE_MESSAGE, {"messageId": mid})
        return mid

    def room_join(self, room_id: str, member_id: str, name: str, inviter_id: str) -> None:
        self.state.contacts[member_id] = name
        topic, members = self.state.rooms[room_id]
        self.state.rooms[room_id] = (topic, [*members, member_id])
        self.push(
            pb.EventType.EVENT_TYPE_ROOM_JOIN,
            {
                "inviteeIdList": [member_id],
                "inviterId": inviter_id,
                "roomId": room_id,
                "timestamp": 1_795_000_000,
            },
        )

    def room_leave(self, room_id: str, member_id: str, remover_id: str) -> None:
        topic, members = self.state.rooms[room_id]
        self.state.rooms[room_id] = (topic, [m for m in members if m != member_id])
        self.push(
            pb.EventType.EVENT_TYPE_ROOM_LEAVE,
            {
                "removeeIdList": [member_id],
                "removerId": remover_id,
                "roomId": room_id,
                "timestamp": 1_795_000_100,
            },
        )

    def login(self) -> None:
        self.push(pb.EventType.EVENT_TYPE_LOGIN, {"contactId": self.state.self_id})

    def end_streams(self) -> None:
        for queue in self._streams:
            queue.put_nowait(None)

    # --- RPCs ------------------------------------------------------------------------------

    def _authorize(self, stream: Stream[Any, Any], name: str) -> None:
        """The gateways' token check (wechaty-puppet-service auth-impl-token)."""
        self.calls.append(name)
        sent = stream.metadata.get("authorization") if stream.metadata else None
        self.authorizations.append(sent)
        if not self.token:
            return
        if sent is None:
            raise GRPCError(Status.UNAUTHENTICATED, "No Authorization found.")
        if not sent.startswith("Wechaty "):
            raise GRPCError(Status.UNAUTHENTICATED, f'Invalid authorization type: "{sent}"')
        if sent[len("Wechaty ") :] != self.token:
            raise GRPCError(Status.UNAUTHENTICATED, f'Invalid Wechaty TOKEN "{sent[8:]}"')

    async def start(self, stream: Stream[pb.StartRequest, pb.StartResponse]) -> None:
        await stream.recv_message()
        await stream.send_message(pb.StartResponse())
        if self.silent_until_start:
            self.login()

    async def stop(self, stream: Stream[pb.StopRequest, pb.StopResponse]) -> None:
        await stream.recv_message()
        await stream.send_message(pb.StopResponse())

    async def ding(self, stream: Stream[pb.DingRequest, pb.DingResponse]) -> None:
        await stream.recv_message()
        self.dinged.set()
        if self.hang_ding:
            await asyncio.Event().wait()
        await stream.send_message(pb.DingResponse())

    async def event(self, stream: Stream[pb.EventRequest, pb.EventResponse]) -> None:
        await stream.recv_message()
        queue: asyncio.Queue[pb.EventResponse | None] = asyncio.Queue()
        self._streams.append(queue)
        self.stream_opened.set()
        if not self.silent_until_start:
            queue.put_nowait(
                pb.EventResponse(
                    type=pb.EventType.EVENT_TYPE_HEARTBEAT,
                    payload=json.dumps({"data": "Wechaty Puppet gRPC stream connect successfully"}),
                )
            )
            if self.auto_login:
                self.login()
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                await stream.send_message(item)
        finally:
            self._streams.remove(queue)

    async def contact_payload(
        self, stream: Stream[pb.ContactPayloadRequest, pb.ContactPayloadResponse]
    ) -> None:
        request = await stream.recv_message()
        assert request is not None
        name = self.state.contacts.get(request.id, request.id)
        await stream.send_message(pb.ContactPayloadResponse(id=request.id, name=name))

    async def room_payload(
        self, stream: Stream[pb.RoomPayloadRequest, pb.RoomPayloadResponse]
    ) -> None:
        request = await stream.recv_message()
        assert request is not None
        topic, members = self.state.rooms.get(request.id, (request.id, []))
        await stream.send_message(
            pb.RoomPayloadResponse(id=request.id, topic=topic, member_ids=members)
        )

    async def room_member_list(
        self, stream: Stream[pb.RoomMemberListRequest, pb.RoomMemberListResponse]
    ) -> None:
        request = await stream.recv_message()
        assert request is not None
        _topic, members = self.state.rooms.get(request.id, ("", []))
        await stream.send_message(pb.RoomMemberListResponse(member_ids=members))

    async def room_member_payload(
        self, stream: Stream[pb.RoomMemberPayloadRequest, pb.RoomMemberPayloadResponse]
    ) -> None:
        request = await stream.recv_message()
        assert request is not None
        name = self.state.contacts.get(request.member_id, request.member_id)
        await stream.send_message(pb.RoomMemberPayloadResponse(id=request.member_id, name=name))

    async def message_payload(
        self, stream: Stream[pb.MessagePayloadRequest, pb.MessagePayloadResponse]
    ) -> None:
        request = await stream.recv_message()
        assert request is not None
        payload = self.state.messages.get(request.id, pb.MessagePayloadResponse(id=request.id))
        await stream.send_message(payload)

    async def message_send_text(
        self, stream: Stream[pb.MessageSendTextRequest, pb.MessageSendTextResponse]
    ) -> None:
        request = await stream.recv_message()
        assert request is not None
        if self.fail_sends > 0:
            self.fail_sends -= 1
            raise GRPCError(Status.UNAVAILABLE, "fake: try again")
        mid = f"out-{next(self._ids)}"
        self.state.messages[mid] = pb.MessagePayloadResponse(
            id=mid,
            text=request.text,
            timestamp=int(time.time() * 1000),
            type=TEXT,
            from_id=self.state.self_id,
            room_id=request.conversation_id,
            mention_ids=list(request.mentonal_ids),
        )
        self.state.sent.append(
            Sent(request.conversation_id, request.text, list(request.mentonal_ids), mid)
        )
        self.got_send.set()
        await stream.send_message(pb.MessageSendTextResponse(id=mid))
        # a real puppet also reports the bot's own message back as an event
        self.push(pb.EventType.EVENT_TYPE_MESSAGE, {"messageId": mid})

    async def message_send_file(
        self, stream: Stream[pb.MessageSendFileRequest, pb.MessageSendFileResponse]
    ) -> None:
        request = await stream.recv_message()
        assert request is not None
        mid = f"out-{next(self._ids)}"
        self.state.messages[mid] = pb.MessagePayloadResponse(
            id=mid,
            timestamp=int(time.time() * 1000),
            type=IMAGE,
            from_id=self.state.self_id,
            room_id=request.conversation_id,
        )
        self.state.sent.append(Sent(request.conversation_id, "", [], mid, request.filebox))
        self.got_send.set()
        await stream.send_message(pb.MessageSendFileResponse(id=mid))

    def __mapping__(self) -> dict[str, Handler]:
        return {
            path: Handler(self._guarded(path, h.func), h.cardinality, h.request_type, h.reply_type)
            for path, h in self._handlers().items()
        }

    def _guarded(
        self, path: str, func: Callable[[Stream[Any, Any]], Awaitable[None]]
    ) -> Callable[[Stream[Any, Any]], Awaitable[None]]:
        name = path.rsplit("/", 1)[1]

        async def guarded(stream: Stream[Any, Any]) -> None:
            self._authorize(stream, name)
            await func(stream)

        return guarded

    def _handlers(self) -> dict[str, Handler]:
        def unary(func: Any, req: Any, resp: Any) -> Handler:
            return Handler(func, Cardinality.UNARY_UNARY, req, resp)

        return {
            "/wechaty.Puppet/Start": unary(self.start, pb.StartRequest, pb.StartResponse),
            "/wechaty.Puppet/Stop": unary(self.stop, pb.StopRequest, pb.StopResponse),
            "/wechaty.Puppet/Ding": unary(self.ding, pb.DingRequest, pb.DingResponse),
            "/wechaty.Puppet/Event": Handler(
                self.event, Cardinality.UNARY_STREAM, pb.EventRequest, pb.EventResponse
            ),
            "/wechaty.Puppet/ContactPayload": unary(
                self.contact_payload, pb.ContactPayloadRequest, pb.ContactPayloadResponse
            ),
            "/wechaty.Puppet/RoomPayload": unary(
                self.room_payload, pb.RoomPayloadRequest, pb.RoomPayloadResponse
            ),
            "/wechaty.Puppet/RoomMemberList": unary(
                self.room_member_list, pb.RoomMemberListRequest, pb.RoomMemberListResponse
            ),
            "/wechaty.Puppet/RoomMemberPayload": unary(
                self.room_member_payload, pb.RoomMemberPayloadRequest, pb.RoomMemberPayloadResponse
            ),
            "/wechaty.Puppet/MessagePayload": unary(
                self.message_payload, pb.MessagePayloadRequest, pb.MessagePayloadResponse
            ),
            "/wechaty.Puppet/MessageSendText": unary(
                self.message_send_text, pb.MessageSendTextRequest, pb.MessageSendTextResponse
            ),
            "/wechaty.Puppet/MessageSendFile": unary(
                self.message_send_file, pb.MessageSendFileRequest, pb.MessageSendFileResponse
            ),
        }


class _Server(Server):
    """grpclib's Server, remembering its connections so stop() can drop them."""

    def __init__(self, handlers: list[Any]) -> None:
        super().__init__(handlers)
        self.protocols: list[H2Protocol] = []

    def _protocol_factory(self) -> H2Protocol:
        proto = super()._protocol_factory()
        self.protocols.append(proto)
        return proto


class FakePuppetServer:
    """Start/stop a FakePuppet on a loopback port; `restart()` keeps the state and port.

    With `tls` it serves TLS with the certificate of `loopback_pki()`; with `token` it refuses
    calls without `authorization: Wechaty <token>`."""

    def __init__(
        self,
        state: FakeState | None = None,
        port: int | None = None,
        *,
        tls: bool = False,
        token: str = "",
        silent_until_start: bool = False,
    ) -> None:
        self.state = state or FakeState()
        self.port = port or free_port()
        self.tls = tls
        self.token = token
        self.silent_until_start = silent_until_start
        self.calls: list[str] = []  # every RPC over all restarts
        self.puppet = FakePuppet(self.state, token=token, calls=self.calls)
        self._server: _Server | None = None
        self.running = asyncio.Event()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> FakePuppet:
        self.puppet = FakePuppet(
            self.state,
            token=self.token,
            calls=self.calls,
            silent_until_start=self.silent_until_start,
        )
        self._server = _Server([self.puppet])
        tls = loopback_pki().server_context() if self.tls else None
        await self._server.start("127.0.0.1", self.port, reuse_address=True, ssl=tls)
        self.running.set()
        return self.puppet

    async def stop(self) -> None:
        """Go away like a crashed service: end the streams, close every connection."""
        self.running.clear()
        if self._server is None:
            return
        server, self._server = self._server, None
        self.puppet.end_streams()
        server.close()
        await server.wait_closed()
        for proto in server.protocols:
            transport = getattr(proto, "connection", None)
            raw = getattr(transport, "_transport", None)
            if raw is not None:
                raw.close()
