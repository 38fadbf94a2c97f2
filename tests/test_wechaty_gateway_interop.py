"""The real bot process (`groupops run`, transport wechaty) against the real Wechaty
gateways from npm: `wechaty-puppet-service` 1.19.9 and the Juzi fork
`@juzi/wechaty-puppet-service` 1.0.113, each serving wechaty-puppet-mock on 127.0.0.1
(tests/wechaty_gateway/gateway.mjs), with TLS on (their default) and off.

.ci/run installs the npm packages (tests/wechaty_gateway/package-lock.json) into a cache
folder and names it in GROUPOPS_WECHATY_GATEWAYS; without node or that folder the test
skips and says why. The bot gets only the endpoint and the token (`insecure_…`, as a
default gateway expects): the TLS server name and the CA are its defaults.

No sleeps: every step waits, with a timeout, for something observable (a line of the
bot's log, an RPC the gateway received, the gateway's answer to a command).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.wechaty_fake import free_port

GATEWAYS_ENV = "GROUPOPS_WECHATY_GATEWAYS"
SCRIPT = Path(__file__).parent / "wechaty_gateway" / "gateway.mjs"
ROOT = Path(__file__).parent.parent
TIMEOUT = 60.0  # per step; a loaded CI machine starts node and python slowly
ROOM = "room1@chatroom"
BOT, ALICE, BOB, CAROL, DAVE = "wxid_bot", "wxid_alice", "wxid_bob", "wxid_carol", "wxid_dave"

FLAVOURS = {
    "upstream": "wechaty-puppet-service@1.19.9",
    "juzi": "@juzi/wechaty-puppet-service@1.0.113",
}


def gateways_folder() -> Path:
    """The npm install .ci/run made, or a skip that says what is missing."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed (.ci/run requires node and npm)")
    folder = os.environ.get(GATEWAYS_ENV)
    if not folder:
        pytest.skip(
            f"{GATEWAYS_ENV} is not set (.ci/run installs the gateways with npm and sets it)"
        )
    path = Path(folder)
    if not (path / "node_modules" / "wechaty-puppet-service").is_dir():
        pytest.fail(f"{GATEWAYS_ENV}={folder} holds no installed gateways (run .ci/run)")
    return path


class Lines:
    """What a process writes, line by line, with waiting on a condition."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.ended = False  # the process closed its output: nothing more will come
        self._changed = asyncio.Condition()

    async def add(self, item: Any) -> None:
        async with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    async def end(self) -> None:
        async with self._changed:
            self.ended = True
            self._changed.notify_all()

    async def wait_until(self, found: Callable[[list[Any]], Any], what: str) -> Any:
        """The first non-None `found(items)`, re-checked on every new line."""

        async def check() -> Any:
            async with self._changed:
                while (hit := found(self.items)) is None:
                    if self.ended:
                        tail = "\n".join(str(item) for item in self.items[-15:])
                        raise AssertionError(f"the process ended before {what}:\n{tail}")
                    await self._changed.wait()
                return hit

        try:
            return await asyncio.wait_for(check(), TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    async def wait_for(self, matches: Callable[[Any], bool], what: str) -> Any:
        return await self.wait_until(
            lambda items: next((item for item in items if matches(item)), None), what
        )

    async def wait_count(self, matches: Callable[[Any], bool], count: int, what: str) -> None:
        await self.wait_until(
            lambda items: True if sum(1 for i in items if matches(i)) >= count else None,
            f"{count} x {what}",
        )


async def _pump(stream: asyncio.StreamReader, sink: Callable[[str], Any], lines: Lines) -> None:
    while line := await stream.readline():
        await sink(line.decode("utf-8", "replace").rstrip("\n"))
    await lines.end()


@dataclass
class Gateway:
    process: asyncio.subprocess.Process
    events: Lines = field(default_factory=Lines)
    _ids: int = 0

    async def _read(self, line: str) -> None:
        await self.events.add(json.loads(line))

    def rpcs(self, name: str | None = None) -> list[dict[str, Any]]:
        return [
            e for e in self.events.items if e["ev"] == "rpc" and (name is None or e["name"] == name)
        ]

    def sends(self) -> list[dict[str, Any]]:
        """The messages the gateway delivered (a dropped send never reached the puppet)."""
        return [r for r in self.rpcs("MessageSendText") if not r.get("dropped")]

    async def command(self, cmd: str, **fields: Any) -> dict[str, Any]:
        self._ids += 1
        ident = self._ids
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps({"id": ident, "cmd": cmd, **fields}) + "\n").encode())
        await self.process.stdin.drain()
        answer: dict[str, Any] = await self.events.wait_for(
            lambda e: e.get("id") == ident and e["ev"] in ("ok", "error"), f"gateway: {cmd}"
        )
        assert answer["ev"] == "ok", answer
        return answer

    async def say(self, who: str, text: str, mentions: tuple[str, ...] = ()) -> None:
        await self.command("say", **{"from": who, "text": text, "mentions": list(mentions)})

    async def reply_to(self, member: str, after: int, what: str) -> dict[str, Any]:
        """The first message the bot sent, after its first `after` ones, that mentions
        `member`."""
        hit: dict[str, Any] = await self.events.wait_until(
            lambda _items: next(
                (s for s in self.sends()[after:] if f"wxid_{member}" in s["mentions"]), None
            ),
            what,
        )
        return hit


@contextlib.asynccontextmanager
async def gateway_process(
    folder: Path,
    flavour: str,
    tls: bool,
    port: int,
    token: str,
    log: Path,
    *extra_args: str,
) -> AsyncIterator[Gateway]:
    env = {**os.environ, "GATEWAY_TOKEN": token, "WECHATY_LOG": "warn"}
    for name in list(env):
        if name.startswith("WECHATY_PUPPET_SERVICE_"):
            del env[name]  # the gateway's defaults: TLS on with the "insecure" certificate
    with log.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            "node",
            str(SCRIPT),
            "--modules",
            str(folder),
            "--flavour",
            flavour,
            "--port",
            str(port),
            "--tls",
            "on" if tls else "off",
            *extra_args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            env=env,
        )
    gateway = Gateway(process)
    assert process.stdout is not None
    pump = asyncio.create_task(_pump(process.stdout, gateway._read, gateway.events))
    try:
        yield gateway
    finally:
        if process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()  # the gateway exits when its stdin ends
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        await pump


def bot_config(folder: Path, tls: bool) -> Path:
    config = folder / "config.yaml"
    config.write_text(
        f"""\
timezone: Asia/Shanghai
admins: [{ALICE}]
bot: {{name: 小助手, user_id: {BOT}}}
storage: {{url: "sqlite:///{folder / "bot.db"}"}}
transport:
  type: wechaty
  wechaty:
    tls: {"on" if tls else "off"}
    reconnect_initial_s: 0.2
    reconnect_max_s: 1
groups:
  {ROOM}: {{name: 写作群}}
defaults:
  quiet_hours: []
  nudge: {{enabled: false}}
  welcome: {{enabled: true, batch_seconds: 2}}
""",
        encoding="utf-8",
    )
    return config


@contextlib.asynccontextmanager
async def bot_process(config: Path, endpoint: str, token: str) -> AsyncIterator[tuple[Any, Lines]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHATY_PUPPET_SERVICE_")}
    env.update(
        WECHATY_PUPPET_SERVICE_ENDPOINT=endpoint,
        WECHATY_PUPPET_SERVICE_TOKEN=token,
        PYTHONUNBUFFERED="1",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--config",
        str(config),
        cwd=config.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    output = Lines()
    assert process.stdout is not None
    pump = asyncio.create_task(_pump(process.stdout, output.add, output))
    try:
        yield process, output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await pump


@pytest.mark.parametrize("tls", [True, False], ids=["tls-on", "tls-off"])
@pytest.mark.parametrize("flavour", ["upstream", "juzi"])
async def test_the_bot_against_a_real_gateway(flavour: str, tls: bool, tmp_path: Path) -> None:
    folder = gateways_folder()
    token = f"insecure_{uuid.uuid4()}"  # what a default gateway expects: SNI "insecure"
    port = free_port()
    endpoint = f"127.0.0.1:{port}"
    async with gateway_process(folder, flavour, tls, port, token, tmp_path / "gateway.log") as gw:
        listening = await gw.events.wait_for(lambda e: e["ev"] == "listening", "the gateway")
        assert listening["service"] == FLAVOURS[flavour] and listening["tls"] is tls
        async with bot_process(bot_config(tmp_path, tls), endpoint, token) as (bot, out):
            await out.wait_for(lambda line: f"logged in as {BOT}" in line, "the bot's login")

            # check-in, a command, and a check-in that @-mentions the bot: replies mention
            await gw.say("alice", "打卡 今天写了1200字")
            checkin = await gw.reply_to("alice", 0, "the reply to 打卡")
            assert checkin["conversation"] == ROOM and checkin["mentions"] == [ALICE]
            assert checkin["text"].startswith("@Alice")
            await gw.say("bob", "/help")
            help_reply = await gw.reply_to("bob", 1, "the reply to /help")
            assert "/帮助" in help_reply["text"]
            await gw.say("bob", "@小助手 打卡", mentions=("bot",))
            mentioned = await gw.reply_to("bob", 2, "the reply to @小助手 打卡")
            assert mentioned["mentions"] == [BOB] and "打卡" in mentioned["text"]

            # two members join within the welcome window: one welcome for both
            await gw.command("join", who=["carol", "dave"], by="alice")
            welcome = await gw.reply_to("carol", 3, "the welcome")
            assert sorted(welcome["mentions"]) == [CAROL, DAVE]

            # a member leaves (recorded; checked in the database at the end)
            await gw.command("leave", who="bob", by="alice")

            # the gateway dies with the bot's next reply in flight, then comes back:
            # the reply waits in the outbox and is delivered once after the reconnect
            await gw.command("drop_next_send")
            await gw.say("dave", "打卡")
            await gw.events.wait_for(lambda e: e.get("dropped"), "the dropped send")
            await out.wait_for(lambda line: "connection to" in line and "lost" in line, "loss")
            await gw.command("start")
            await gw.events.wait_count(lambda e: e.get("name") == "Start", 2, "Start")
            queued = await gw.reply_to("dave", 4, "the queued reply to dave")
            assert queued["mentions"] == [DAVE]

            # one more round trip: everything before it has been handled and sent
            await gw.say("carol", "/help")
            await gw.reply_to("carol", 5, "the reply after the reconnect")

            bot.send_signal(signal.SIGINT)
            code = await asyncio.wait_for(bot.wait(), TIMEOUT)
        output = "\n".join(out.items)
    # kept in the test's tmp_path for a failure's post-mortem
    (tmp_path / "bot.log").write_text(output, encoding="utf-8")
    events = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in gw.events.items)
    (tmp_path / "gateway-events.jsonl").write_text(events, encoding="utf-8")

    assert code == 0, output
    sends = gw.sends()
    assert len(sends) == 6, [s["text"][:30] for s in sends]  # nothing lost, nothing doubled
    assert [s["mentions"] for s in sends].count([DAVE]) == 1
    assert sum(1 for s in sends if CAROL in s["mentions"] and DAVE in s["mentions"]) == 1
    names = [r["name"] for r in gw.rpcs()]
    assert "Stop" not in names, names  # the gateway's puppet was never stopped
    assert names.count("Event") == 2 and names.count("Start") == 2
    assert names[0] == "Event"  # the stream first, then Start, as the Node client does
    assert {r["auth"] for r in gw.rpcs()} == {"ok"}  # authorization header on every call
    assert token not in output and token.split("_", 1)[1] not in output
    assert "欢迎新朋友加入「写作群」" in sends[3]["text"]
    with contextlib.closing(sqlite3.connect(tmp_path / "bot.db")) as db:
        left = db.execute(
            "SELECT member_id FROM activity_log WHERE kind = 'leave' AND group_id = ?", (ROOM,)
        ).fetchall()
        queued = db.execute(
            "SELECT status FROM outbox WHERE mentions = ?", (json.dumps([DAVE]),)
        ).fetchall()
    assert left == [(BOB,)]
    assert queued == [("sent",)]  # recorded as sent: a restart of the bot will not resend it


async def test_a_wrong_token_is_refused_plainly_and_never_shown(tmp_path: Path) -> None:
    """The gateway as shipped (it also still reads the token from `:authority`) echoes a
    wrong token in its error: the bot says the token was refused and shows `***`."""
    folder = gateways_folder()
    token, wrong = f"insecure_{uuid.uuid4()}", f"insecure_{uuid.uuid4()}"
    port = free_port()
    log = tmp_path / "gateway.log"
    async with gateway_process(
        folder, "upstream", True, port, token, log, "--allow-authority-fallback"
    ) as gw:
        await gw.events.wait_for(lambda e: e["ev"] == "listening", "the gateway")
        async with bot_process(bot_config(tmp_path, True), f"127.0.0.1:{port}", wrong) as (
            bot,
            out,
        ):
            code = await asyncio.wait_for(bot.wait(), TIMEOUT)
            await out.wait_until(lambda _items: True if out.ended else None, "the bot's output")
    output = "\n".join(out.items)
    assert code == 2, output
    assert "the gateway refused the token" in output and 'TOKEN "***"' in output
    assert wrong not in output and wrong.split("_", 1)[1] not in output
    assert [r["auth"] for r in gw.rpcs()] == ["wrong"]
