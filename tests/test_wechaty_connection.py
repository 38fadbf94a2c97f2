"""How the wechaty transport reaches a gateway: TLS settings, the bundled CA, the server
name rule, and the sentences a failed start-up gets. No network here."""

from __future__ import annotations

import ssl
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError

from bot.config import parse_config
from bot.settings.transport import WechatyTransportSettings
from bot.transports.base import TransportError
from bot.transports.wechaty_connection import (
    bundled_ca_pem,
    connection_for,
    diagnose,
    reason_of,
    server_name_from_token,
)
from bot.transports.wechaty_shim import mask_secret
from tests.wechaty_fake import loopback_pki

WECHATY_ROOT_CA_SHA256 = (
    "8d695f55d497d9b67ca4cacc80118ae127f077bbee349e4f5c2b8f7c89f54c2b"  # from the npm package
)


@pytest.mark.parametrize(
    ("token", "name"),
    [
        ("insecure_0123-4567", "insecure"),
        ("puppet_workpro_abcdef", "puppet_workpro"),
        ("Insecure_X", "insecure"),
        ("uuid-without-prefix", ""),
        ("_leading", ""),
    ],
)
def test_the_server_name_is_the_token_prefix_before_the_last_underscore(
    token: str, name: str
) -> None:
    assert server_name_from_token(token) == name


def test_the_bundled_wechaty_root_ca_is_the_one_the_gateways_use() -> None:
    cert = x509.load_pem_x509_certificate(bundled_ca_pem().encode("ascii"))
    assert cert.fingerprint(hashes.SHA256()).hex() == WECHATY_ROOT_CA_SHA256
    assert cert.subject.rfc4514_string().startswith("CN=wechaty-root-ca")
    folder = resources.files("bot.transports") / "wechaty_ca"
    assert "Apache License" in (folder / "LICENSE").read_text(encoding="utf-8")
    assert "wechaty-puppet-service" in (folder / "NOTICE").read_text(encoding="utf-8")


def test_tls_is_on_by_default_and_on_off_read_as_yaml_writes_them() -> None:
    assert WechatyTransportSettings().tls is True
    for word, value in (("off", False), ("on", True), ("'off'", False)):
        config = parse_config(f"transport:\n  type: wechaty\n  wechaty:\n    tls: {word}\n")
        assert config.root.transport.wechaty.tls is value


def test_default_connection_trusts_the_wechaty_ca_with_the_token_prefix_as_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_TLS_CA_CERT", raising=False)
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME", raising=False)
    c = connection_for("gw.example", 8788, "insecure_abc", WechatyTransportSettings())
    assert (c.tls, c.server_name, c.ca) == (True, "insecure", None)
    assert "server name 'insecure' from the token's prefix" in c.describe()
    assert "insecure_abc" not in c.describe() and "insecure_abc" not in repr(c)
    ctx = c.ssl_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.hostname_checks_common_name  # the gateways' default certificate has CN only


def test_server_name_and_ca_from_the_environment_as_the_node_client_reads_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pem = loopback_pki().ca_file.read_text()
    monkeypatch.setenv("WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME", "gateway.example")
    monkeypatch.setenv("WECHATY_PUPPET_SERVICE_TLS_CA_CERT", pem.replace("\n", "\\n"))
    c = connection_for("gw.example", 8788, "no-prefix-token", WechatyTransportSettings())
    assert c.server_name == "gateway.example"
    assert c.ca is not None and c.ca.pem.strip() == pem.strip()
    assert "WECHATY_PUPPET_SERVICE_TLS_CA_CERT" in c.describe()
    # config wins over the environment; a CA may also be a file
    settings = WechatyTransportSettings(
        tls_server_name="from-config", tls_ca_cert=str(loopback_pki().ca_file)
    )
    c = connection_for("gw.example", 8788, "x_y", settings)
    assert c.server_name == "from-config" and "tls_ca_cert" in c.describe()


def test_tls_problems_in_the_settings_are_errors_before_connecting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME", raising=False)
    with pytest.raises(TransportError, match=r"no '<name>_' prefix.*tls_server_name.*tls: off"):
        connection_for("h", 1, "uuidtoken", WechatyTransportSettings())
    assert not connection_for("h", 1, "uuidtoken", WechatyTransportSettings(tls=False)).tls
    with pytest.raises(TransportError, match="neither PEM text nor a readable PEM file"):
        connection_for("h", 1, "a_b", WechatyTransportSettings(tls_ca_cert=str(tmp_path / "no")))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(TransportError, match="holds no PEM certificate"):
        connection_for("h", 1, "a_b", WechatyTransportSettings(tls_ca_cert=str(junk)))
    broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    with pytest.raises(TransportError, match="is not valid"):
        connection_for("h", 1, "a_b", WechatyTransportSettings(tls_ca_cert=broken))


def test_failure_sentences_never_carry_the_token() -> None:
    token = "insecure_diagnose-0000"
    mask_secret(token)
    c = connection_for("h", 1, token, WechatyTransportSettings())
    refused = GRPCError(Status.UNAUTHENTICATED, f'Invalid Wechaty TOKEN "{token}"')
    assert reason_of(refused) == 'gRPC UNAUTHENTICATED: Invalid Wechaty TOKEN "***"'
    hint = diagnose(refused, c, "WECHATY_PUPPET_SERVICE_TOKEN")
    assert hint is not None and "refused the token" in hint and token not in hint
    plain = connection_for("h", 1, token, WechatyTransportSettings(tls=False))
    lost = StreamTerminatedError("Connection lost")
    assert "tls: on" in (diagnose(lost, plain, "T") or "")
    assert diagnose(lost, c, "T") is None  # with TLS on, a lost connection is not a hint
    assert diagnose(GRPCError(Status.INTERNAL, "boom"), c, "T") is None


def test_an_uncaught_exception_carrying_the_token_prints_it_masked() -> None:
    program = (
        "from bot.transports.wechaty_shim import mask_secret\n"
        "mask_secret('insecure_crash-1234')\n"
        "raise RuntimeError('Invalid Wechaty TOKEN \"insecure_crash-1234\"')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert 'RuntimeError: Invalid Wechaty TOKEN "***"' in done.stderr
    assert "crash-1234" not in done.stderr
