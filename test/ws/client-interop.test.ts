// The weft client against other servers: `ws` over https (wss://, the test CA in
// test/fixtures/tls), Python `websockets` (Debian's python3-websockets), and weft's own server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { App } from 'weft'
import { connect } from 'weft/ws'
import { withServer } from '../helpers/server.ts'
import { peer } from '../helpers/peers.ts'
import { Messages, closedWithin, within } from './client-helpers.ts'

const TLS = fileURLToPath(new URL('../fixtures/tls/', import.meta.url))
const fixtures = ['ca.pem', 'localhost.pem', 'localhost.key', 'client.pem', 'client.key'].every((f) => existsSync(TLS + f))
const tlsSkip = fixtures ? false : 'test/fixtures/tls is missing (scripts/make-test-certs.sh makes it)'
const read = (f: string): Buffer => readFileSync(TLS + f)

test('wss:// to a ws server over https: the test CA, SNI, a client certificate; an unknown CA fails', { skip: tlsSkip, timeout: 20_000 }, async () => {
  const https = createHttpsServer({ cert: read('localhost.pem'), key: read('localhost.key'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: false })
  const wss = new WebSocketServer({ server: https })
  const peers: Array<string | undefined> = []
  wss.on('connection', (c, req) => {
    const cert = (req.socket as import('node:tls').TLSSocket).getPeerCertificate()
    peers.push(String(cert.subject?.CN))
    c.on('message', (d: Buffer, binary: boolean) => c.send(d, { binary }))
  })
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
  const port = (https.address() as AddressInfo).port
  try {
    const ws = connect(`wss://localhost:${port}/secure`, { ca: read('ca.pem'), cert: read('client.pem'), key: read('client.key') })
    const inbox = new Messages(ws)
    ws.send('over tls')
    assert.equal(await inbox.next(), 'over tls')
    ws.close(1000)
    await closedWithin(ws)
    assert.equal(peers.length, 1)
    assert.notEqual(peers[0], 'undefined', 'the server saw the client certificate')

    // By IP with servername for the certificate check.
    const byIp = connect(`wss://127.0.0.1:${port}/`, { ca: read('ca.pem'), servername: 'localhost' })
    await within(byIp.opened, 5000, 'open by IP')
    byIp.close(1000)
    await closedWithin(byIp)

    const untrusted = connect(`wss://localhost:${port}/`)
    await assert.rejects(within(untrusted.opened, 5000, 'the TLS failure'), /self[- ]signed|unable to (get|verify)|certificate/i)
    const insecure = connect(`wss://localhost:${port}/`, { rejectUnauthorized: false })
    await within(insecure.opened, 5000, 'open without verification')
    insecure.terminate()
    await closedWithin(insecure)
  } finally {
    for (const c of wss.clients) c.terminate()
    wss.close()
    https.closeAllConnections()
    await new Promise<void>((resolve) => https.close(() => resolve()))
  }
})

const PYTHON = '/usr/bin/python3'

// An echo server on a free port with permessage-deflate; prints the port, then one line per
// connection's close code.
const PY_SERVER = `
import asyncio, sys, websockets
async def echo(ws, *args):
    try:
        async for m in ws:
            if m == 'close please':
                await ws.close(4002, 'py done')
                break
            await ws.send(m)
    finally:
        print('closed', ws.close_code, flush=True)
async def main():
    async with websockets.serve(echo, '127.0.0.1', 0, max_size=2**22, subprotocols=['py.v1']) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
`

test('a Python websockets server: echo with deflate and a subprotocol, both close directions', { skip: peer(PYTHON, ['-c', 'import websockets']).skip, timeout: 30_000 }, async () => {
  const child = spawn(PYTHON, ['-c', PY_SERVER], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const lines: Array<() => void> = []
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s
    for (const fn of lines.splice(0)) fn()
  })
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s))
  const waitFor = (re: RegExp, what: string): Promise<RegExpExecArray> =>
    within(
      new Promise<RegExpExecArray>((resolve) => {
        const check = (): void => {
          const m = re.exec(out)
          if (m !== null) resolve(m)
          else lines.push(check)
        }
        check()
      }),
      10_000,
      `${what} (stderr: ${err})`,
    )
  try {
    const port = (await waitFor(/^(\d+)\n/, 'the Python server port'))[1]
    const ws = connect(`ws://127.0.0.1:${port}/`, { deflate: true, protocols: ['py.v2', 'py.v1'] })
    const inbox = new Messages(ws)
    await within(ws.opened, 5000, 'open')
    assert.equal(ws.protocol, 'py.v1')
    assert.match(ws.extensions, /permessage-deflate/)
    ws.send('héllo')
    assert.equal(await inbox.next(), 'héllo')
    ws.send(Buffer.from([0, 1, 255]))
    assert.deepEqual(await inbox.next(), Buffer.from([0, 1, 255]))
    const big = 'python '.repeat(30_000)
    ws.send(big)
    assert.equal(await inbox.next(), big)
    ws.close(4321, 'weft done')
    assert.equal((await closedWithin(ws)).code, 4321)
    await waitFor(/closed 4321/, 'the server to see 4321')

    const second = connect(`ws://127.0.0.1:${port}/`)
    second.send('close please')
    assert.deepEqual(await closedWithin(second), { code: 4002, reason: 'py done', wasClean: true })
  } finally {
    child.kill()
  }
})

test('weft client to weft server: echo, deflate, subprotocol, pub/sub broadcast, 1001 on shutdown', { timeout: 20_000 }, async () => {
  const app = new App()
  app.ws(
    '/echo',
    {
      open: (ws) => void ws.subscribe('all'),
      message: (ws, m) => {
        if (m === 'broadcast') ws.publish('all', 'to everyone else')
        else ws.send(m)
      },
    },
    { deflate: true, protocols: ['weft.v1'] },
  )
  let closeInfo: unknown
  await withServer(app, async (server) => {
    const url = server.url.replace(/^http/, 'ws') + '/echo'
    const a = connect(url, { deflate: true, protocols: ['weft.v1'] })
    const b = connect(url)
    const inboxA = new Messages(a)
    const inboxB = new Messages(b)
    await within(Promise.all([a.opened, b.opened]), 5000, 'both to open')
    assert.equal(a.protocol, 'weft.v1')
    assert.match(a.extensions, /permessage-deflate/)
    const big = 'weft '.repeat(20_000)
    a.send(big)
    assert.equal(await inboxA.next(), big)
    a.send(new Uint8Array([9, 8, 7]))
    assert.deepEqual(await inboxA.next(), Buffer.from([9, 8, 7]))
    a.send('broadcast')
    assert.equal(await inboxB.next(), 'to everyone else')
    b.close(1000)
    await closedWithin(b)
    closeInfo = a.closed
  })
  // The server closed gracefully: the client saw 1001.
  assert.deepEqual(await within(closeInfo as Promise<unknown>, 5000, 'the close'), { code: 1001, reason: 'server shutting down', wasClean: true })
})
