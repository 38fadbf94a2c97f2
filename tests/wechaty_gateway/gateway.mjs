// A real Wechaty puppet-service gateway for the interop test: the npm package's
// PuppetServer around wechaty-puppet-mock's PuppetMock, on 127.0.0.1, driven line by line.
//
//   node gateway.mjs --modules DIR --flavour upstream|juzi --port N --tls on|off
//   (the token comes from the environment variable GATEWAY_TOKEN, never from argv)
//
// stdin: one JSON command per line, {"id": 1, "cmd": "say", ...}; each is answered with
// {"ev": "ok", "id": 1, ...} or {"ev": "error", "id": 1, "message": ...}.
// stdout: only JSON lines: the answers, {"ev": "listening", ...} whenever the gRPC server
// starts, and {"ev": "rpc", "name": "Start", "auth": "ok", ...} for every RPC the gateway
// receives (recorded before the gateway's own token check runs).
// Everything the packages log goes to stderr.
//
// The gateway's puppet is started and logged in before the first client connects, like an
// account that already runs at a hosted provider. "stop"/"start" stop and start the gRPC
// server only (the puppet and its account stay up), like a gateway process restarting.
//
// By default the gateway ignores the HTTP/2 `:authority` fallback the packages still
// accept for old clients (marked there for removal): a client must send
// `authorization: Wechaty <token>` itself.

import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import util from 'node:util'
import { pathToFileURL } from 'node:url'

const FLAVOURS = {
  upstream: {
    service: 'wechaty-puppet-service',
    grpc: 'wechaty-grpc',
  },
  juzi: {
    service: '@juzi/wechaty-puppet-service',
    grpc: '@juzi/wechaty-grpc',
  },
}

// --- output: stdout carries only our JSON lines ------------------------------------------

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
for (const name of ['log', 'info', 'debug', 'warn', 'error']) {
  console[name] = (...args) => process.stderr.write(util.format(...args) + '\n')
}

function parseArgs (argv) {
  const args = { tls: 'on', flavour: 'upstream', strictAuth: true }
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]
    const value = argv[i + 1]
    if (key === '--modules') { args.modules = value; i++ }
    else if (key === '--flavour') { args.flavour = value; i++ }
    else if (key === '--port') { args.port = Number(value); i++ }
    else if (key === '--tls') { args.tls = value; i++ }
    else if (key === '--allow-authority-fallback') { args.strictAuth = false }
    else throw new Error(`unknown argument ${key}`)
  }
  if (!args.modules || !args.port || !FLAVOURS[args.flavour]) {
    throw new Error('usage: gateway.mjs --modules DIR --flavour upstream|juzi --port N --tls on|off')
  }
  return args
}

// --- loading ESM packages from the cache folder (outside the work tree) -----------------

function packageDir (name, fromDir) {
  // Node's lookup: node_modules/<name> in fromDir and each parent directory
  let dir = fromDir
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name)
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`${name} is not installed under ${fromDir}`)
    dir = parent
  }
}

async function importPackage (name, fromDir) {
  const dir = packageDir(name, fromDir)
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  const entry = pkg.exports?.['.']?.import ?? pkg.module ?? pkg.main
  const module = await import(pathToFileURL(path.join(dir, entry)).href)
  return { module, dir, version: pkg.version }
}

// --- the gateway ------------------------------------------------------------------------

const args = parseArgs(process.argv.slice(2))
const token = process.env.GATEWAY_TOKEN
if (!token) throw new Error('GATEWAY_TOKEN is not set')
const flavour = FLAVOURS[args.flavour]

const service = await importPackage(flavour.service, args.modules)
const { module: grpcModule } = await importPackage(flavour.grpc, service.dir)
const { module: mockModule, version: mockVersion } = await importPackage('wechaty-puppet-mock', args.modules)
// the Metadata class the gateway's token check reads (the copy its auth module imports)
const authGrpc = await import(pathToFileURL(path.join(service.dir, 'dist/esm/src/auth/grpc-js.js')).href)

if (args.strictAuth) {
  // Importing the package monkey-patched Metadata.fromHttp2Headers to copy `:authority`
  // into `authorization`; its un-patch function is not exported, so put the original back
  // by building headers ourselves: only a real `authorization` header counts.
  const patched = authGrpc.Metadata.fromHttp2Headers
  authGrpc.Metadata.fromHttp2Headers = function (headers) {
    const metadata = patched.call(this, headers)
    const sent = headers.authorization
    if (sent === undefined) metadata.remove('authorization')
    return metadata
  }
}

// Record every RPC as it arrives, before the package's token check wraps it.
const expected = `Wechaty ${token}`
const rpcName = (key) => key.charAt(0).toUpperCase() + key.slice(1)
let dropNextSend = false
let gateway
const originalAddService = grpcModule.grpc.Server.prototype.addService
grpcModule.grpc.Server.prototype.addService = function (definition, implementation) {
  if (!('messageSendText' in implementation)) {
    return originalAddService.call(this, definition, implementation)
  }
  const wrapped = {}
  for (const [key, handler] of Object.entries(implementation)) {
    wrapped[key] = function (call, callback) {
      const sent = call.metadata.get('authorization')[0]
      const auth = sent === undefined ? 'missing' : sent === expected ? 'ok' : 'wrong'
      const record = { ev: 'rpc', name: rpcName(key), auth }
      if (key === 'messageSendText') {
        record.conversation = call.request.getConversationId()
        record.text = call.request.getText()
        record.mentions = call.request.getMentionalIdsList()
        if (dropNextSend && auth === 'ok') {
          // the gateway dies with this send in flight: never executed, never answered
          dropNextSend = false
          record.dropped = true
          out(record)
          void stopServer()
          return undefined
        }
      }
      out(record)
      return handler.call(this, call, callback)
    }
  }
  return originalAddService.call(this, definition, wrapped)
}

const puppet = new mockModule.PuppetMock()
const mocker = puppet.mocker
const people = {
  bot: mocker.createContact({ id: 'wxid_bot', name: '小助手' }),
  alice: mocker.createContact({ id: 'wxid_alice', name: 'Alice' }),
  bob: mocker.createContact({ id: 'wxid_bob', name: 'Bob' }),
  carol: mocker.createContact({ id: 'wxid_carol', name: 'Carol' }),
  dave: mocker.createContact({ id: 'wxid_dave', name: 'Dave' }),
}
const room = mocker.createRoom({
  id: 'room1@chatroom',
  topic: '写作群',
  memberIdList: [people.bot.id, people.alice.id, people.bob.id],
  ownerId: people.alice.id,
  adminIdList: [],
})
await puppet.start()
mocker.login(people.bot)

const contact = (name) => {
  const found = people[name]
  if (!found) throw new Error(`unknown contact ${name}`)
  return found
}

async function startServer () {
  if (gateway) throw new Error('the gateway is running already')
  gateway = new service.module.PuppetServer({
    endpoint: `127.0.0.1:${args.port}`,
    puppet,
    token,
    tls: args.tls === 'off' ? { disable: true } : undefined,
  })
  await gateway.start()
  out({
    ev: 'listening',
    port: args.port,
    service: `${flavour.service}@${service.version}`,
    mock: `wechaty-puppet-mock@${mockVersion}`,
    tls: args.tls !== 'off',
  })
}

async function stopServer () {
  const running = gateway
  gateway = undefined
  if (running) await running.stop()
}

const commands = {
  async say ({ from, text, mentions = [] }) {
    contact(from).say(text, mentions.map(contact)).to(room)
    return {}
  },
  async join ({ who, by }) {
    for (const name of who) room.add(contact(name)).by(contact(by))
    return {}
  },
  async leave ({ who, by }) {
    room.remove(contact(who)).by(contact(by))
    return {}
  },
  async drop_next_send () {
    dropNextSend = true
    return {}
  },
  async stop () {
    await stopServer()
    return {}
  },
  async start () {
    await startServer()
    return {}
  },
  async status () {
    return { loggedIn: puppet.isLoggedIn, running: Boolean(gateway) }
  },
}

await startServer()

const lines = readline.createInterface({ input: process.stdin })
for await (const line of lines) {
  if (!line.trim()) continue
  let request
  try {
    request = JSON.parse(line)
    const run = commands[request.cmd]
    if (!run) throw new Error(`unknown command ${request.cmd}`)
    out({ ev: 'ok', id: request.id, ...(await run(request)) })
  } catch (e) {
    out({ ev: 'error', id: request?.id, message: String(e?.message ?? e) })
  }
}
// stdin closed: the test is done with us
await stopServer()
process.exit(0)
