"""How the wechaty transport reaches a Wechaty puppet-service gateway, like the Node client.

- TLS is on by default, as the 1.x gateways serve it. The certificate is checked against
  the Wechaty root CA (bundled in bot/transports/wechaty_ca/, from the npm package
  `wechaty-puppet-service`, Apache-2.0) or a CA the operator names; the TLS server name
  comes from config/env or, like the Node client, from the token: the part before its
  last `_`, lower-cased (`insecure_0123...` -> `insecure`, the name of the gateways'
  default certificate).
- Every call carries `authorization: Wechaty <token>` (gateways 1.x check it; their
  fallback to the HTTP/2 `:authority` header is marked for removal). `:authority` is
  still the token, as the Node client sends it, for older gateways that only read that.
- `diagnose()` turns a start-up failure into one plain sentence: TLS mismatch, refused
  token, untrusted certificate or wrong server name, and what to set. Its text never
  contains the token.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from grpclib.exceptions import GRPCError, StreamTerminatedError

from bot.settings.transport import WechatyTransportSettings
from bot.settings.transport import server_name_from_token as server_name_from_token
from bot.transports.base import TransportError
from bot.transports.wechaty_shim import redact

BUNDLED_CA = "wechaty-root-ca.pem"
PEM_MARK = "-----BEGIN CERTIFICATE-----"


def bundled_ca_pem() -> str:
    return (resources.files("bot.transports") / "wechaty_ca" / BUNDLED_CA).read_text("ascii")


@dataclass(frozen=True)
class CaSource:
    pem: str
    origin: str  # for messages: where the CA came from (never the PEM itself)


def _read_ca(value: str, origin: str) -> CaSource:
    """A CA given as PEM text (as the Node client takes WECHATY_PUPPET_SERVICE_TLS_CA_CERT,
    `\\n` escapes allowed) or as the path of a PEM file."""
    text = value.replace("\\n", "\n")
    if PEM_MARK in text:
        return CaSource(text, origin)
    try:
        with open(os.path.expanduser(value), encoding="ascii") as f:
            pem = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise TransportError(
            f"the TLS CA certificate from {origin} is neither PEM text nor a readable PEM "
            f"file ({value}: {exc})"
        ) from None
    if PEM_MARK not in pem:
        raise TransportError(f"the TLS CA file {value} (from {origin}) holds no PEM certificate")
    return CaSource(pem, f"{origin} ({value})")


@dataclass(frozen=True)
class GatewayConnection:
    """Where and how to connect: one value per transport, used for every (re)connection."""

    host: str
    port: int
    token: str = field(repr=False)
    tls: bool = True
    server_name: str = ""  # the name the certificate must carry (TLS only)
    server_name_origin: str = ""
    ca: CaSource | None = None  # None: the bundled Wechaty root CA

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def ca_origin(self) -> str:
        return self.ca.origin if self.ca is not None else "the bundled Wechaty root CA"

    def describe(self) -> str:
        """For the log: the connection without the token."""
        if not self.tls:
            return f"{self.endpoint} without TLS"
        return (
            f"{self.endpoint} with TLS (server name {self.server_name!r} from "
            f"{self.server_name_origin}; CA: {self.ca_origin()})"
        )

    def ssl_context(self) -> ssl.SSLContext:
        pem = self.ca.pem if self.ca is not None else bundled_ca_pem()
        try:
            ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=pem)
        except ssl.SSLError as exc:
            raise TransportError(
                f"the TLS CA from {self.ca_origin()} is not valid: {exc}"
            ) from None
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_alpn_protocols(["h2"])
        # The gateways' default certificate ("insecure") names its host in the subject CN
        # only, without a subjectAltName: accept the CN, as the Node client does.
        ctx.hostname_checks_common_name = True
        return ctx

    def open_channel(self) -> Any:
        """A grpclib Channel that authorizes every call with the token."""
        from grpclib.client import Channel
        from grpclib.config import Configuration
        from grpclib.events import SendRequest, listen

        if self.tls:
            channel = Channel(
                self.host,
                self.port,
                ssl=self.ssl_context(),
                config=Configuration(ssl_target_name_override=self.server_name),
            )
        else:
            channel = Channel(self.host, self.port)
        channel._authority = self.token  # as the Node client's grpc.default_authority
        authorization = f"Wechaty {self.token}"

        async def authorize(event: SendRequest) -> None:
            event.metadata["authorization"] = authorization

        listen(channel, SendRequest, authorize)
        return channel


def connection_for(
    host: str, port: int, token: str, settings: WechatyTransportSettings
) -> GatewayConnection:
    """The connection the settings describe; TransportError when TLS cannot be set up."""
    if not settings.tls:
        return GatewayConnection(host, port, token, tls=False)
    name_env = settings.tls_server_name_env
    if settings.tls_server_name:
        name, name_origin = settings.tls_server_name, "transport.wechaty.tls_server_name"
    elif name_env and os.environ.get(name_env):
        name, name_origin = os.environ[name_env], f"the environment variable {name_env}"
    else:
        name, name_origin = server_name_from_token(token), "the token's prefix"
    if not name:
        raise TransportError(
            "TLS needs the gateway's server name and the token has no '<name>_' prefix to "
            f"take it from: set transport.wechaty.tls_server_name (or {name_env or 'its env'})"
            ", or transport.wechaty.tls: off for a gateway that serves no TLS"
        )
    ca_env = settings.tls_ca_cert_env
    ca: CaSource | None = None
    if settings.tls_ca_cert:
        ca = _read_ca(settings.tls_ca_cert, "transport.wechaty.tls_ca_cert")
    elif ca_env and os.environ.get(ca_env):
        ca = _read_ca(os.environ[ca_env], f"the environment variable {ca_env}")
    connection = GatewayConnection(host, port, token, True, name, name_origin, ca)
    connection.ssl_context()  # a bad CA is a start-up error, not a reconnect loop
    return connection


# --- what a failure means ------------------------------------------------------------------


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def reason_of(exc: BaseException) -> str:
    """`Type: message` (`gRPC STATUS: details` for a gRPC error) with the token masked."""
    if isinstance(exc, GRPCError):
        text = f"gRPC {exc.status.name}: {exc.message or ''}".rstrip(": ")
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return redact(text)


def diagnose(exc: BaseException, connection: GatewayConnection, token_env: str) -> str | None:
    """What a failure to connect most likely means and what to set, or None when it is
    none of the known cases (TLS mismatch, refused token, certificate checks)."""
    for cause in _chain(exc):
        if isinstance(cause, GRPCError) and cause.status.name == "UNAUTHENTICATED":
            return (
                "the gateway refused the token: check the token "
                f"(transport.wechaty.token / {token_env}); it is the one your provider gave "
                "you, or the gateway's WECHATY_TOKEN when you run it yourself"
            )
        if isinstance(cause, ssl.SSLCertVerificationError):
            text = str(cause)
            if "mismatch" in text or "not valid for" in text:
                return (
                    f"the gateway's certificate is not for the server name "
                    f"{connection.server_name!r} ({connection.server_name_origin}): set "
                    "transport.wechaty.tls_server_name (or WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME"
                    ") to the name your provider gives"
                )
            return (
                f"the gateway's certificate is not signed by {connection.ca_origin()}: set "
                "transport.wechaty.tls_ca_cert (or WECHATY_PUPPET_SERVICE_TLS_CA_CERT) to "
                "your provider's CA certificate"
            )
        if isinstance(cause, ssl.SSLError) and connection.tls:
            return (
                "this looks like a TLS mismatch: the gateway does not speak TLS (as one "
                "started with WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true); set "
                "transport.wechaty.tls: off"
            )
        if isinstance(cause, StreamTerminatedError) and not connection.tls:
            return (
                "this looks like a TLS mismatch: the gateway closed the connection at once, "
                "as gateways that require TLS (the default since wechaty-puppet-service 1.0) "
                "do with a plain connection; set transport.wechaty.tls: on"
            )
    return None
