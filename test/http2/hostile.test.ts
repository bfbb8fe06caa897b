// Hostile HTTP/2 clients (node:http2 sessions, and raw frames over TCP, doing what a browser
// never does): rapid reset, PING and SETTINGS floods, oversized header blocks. The offending
// session ends with the right error code; a bystander session on the same server keeps
// working, and so do new ones.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect as tcpConnect } from 'node:net'
import type { ClientHttp2Session } from 'node:http2'
import { App, type Server } from 'weft'
import { within } from '../helpers/wait.ts'
import { peer } from '../helpers/peers.ts'
import { H2_PREFACE, constants, frame, frames, getHeaderBlock, goawayCode, h2connect, h2request, run, withH2 } from './helpers.ts'

const nghttpPeer = peer('nghttp', ['--version'])

type Kind = 'resets' | 'pings' | 'settings'

function app(): App {
  const a = new App({ logErrors: false })
  a.get('/slow', () => new Promise((r) => setTimeout(() => r('slow'), 200)))
  a.get('/ok', () => 'ok')
  return a
}

/** Runs an attack with a bystander session open, then checks both the bystander and a newcomer. */
async function survives(server: Server, attack: (session: ClientHttp2Session) => void | Promise<void>): Promise<number> {
  const bystander = await h2connect(server)
  assert.equal((await h2request(bystander, { ':path': '/ok' })).body, 'ok')
  const attacker = await h2connect(server, { maxOutstandingPings: 10_000 })
  await within(once(attacker, 'remoteSettings'), 5000, 'the server settings')
  const code = goawayCode(attacker)
  await attack(attacker)
  const result = await code
  await within(attacker.destroyed ? Promise.resolve() : new Promise((r) => attacker.once('close', r)), 5000, 'the attacker session to end')
  assert.equal((await h2request(bystander, { ':path': '/ok' })).body, 'ok', 'the bystander session still works')
  const newcomer = await h2connect(server)
  assert.equal((await h2request(newcomer, { ':path': '/ok' })).body, 'ok', 'new sessions are served')
  bystander.close()
  newcomer.close()
  return result
}

test('rapid reset (CVE-2023-44487): more than maxResets client resets end the session with ENHANCE_YOUR_CALM', async () => {
  const floods: Kind[] = []
  await withH2(
    app(),
    false,
    async (server) => {
      const code = await survives(server, async (session) => {
        // In waves: node's client keeps a reset stream's slot until the reset is written, so
        // it would stop at the server's 100 concurrent streams; a raw attacker never does.
        for (let wave = 0; wave < 10 && !session.closed && !session.destroyed; wave++) {
          for (let i = 0; i < 50; i++) {
            const stream = session.request({ ':path': '/slow' })
            stream.on('error', () => {})
            // Sent right after the HEADERS frame, as the attack does.
            stream.close(constants.NGHTTP2_CANCEL)
          }
          await new Promise((r) => setTimeout(r, 10))
        }
      })
      assert.equal(code, constants.NGHTTP2_ENHANCE_YOUR_CALM)
      assert.deepEqual(floods, ['resets'])
    },
    { http2: { onFlood: (kind) => floods.push(kind) } },
  )
})

/**
 * The rapid-reset attack as a raw client sends it: `count` streams for `path`, each HEADERS
 * (END_STREAM | END_HEADERS) followed at once by its RST_STREAM(CANCEL), all in one write.
 * Resolves with the error code of the server's first GOAWAY (-1 if none came).
 */
async function rawResetFlood(server: Server, path: string, count: number): Promise<number> {
  const socket = tcpConnect(Number(new URL(server.url).port), '127.0.0.1')
  socket.on('error', () => {})
  const received: Buffer[] = []
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  await within(once(socket, 'connect'), 5000, 'the connection')
  const block = getHeaderBlock(path)
  const cancel = Buffer.alloc(4)
  cancel.writeUInt32BE(constants.NGHTTP2_CANCEL)
  const parts = [H2_PREFACE, frame(0x4, 0, 0, Buffer.alloc(0))]
  for (let i = 0; i < count; i++) parts.push(frame(0x1, 0x5, 2 * i + 1, block), frame(0x3, 0, 2 * i + 1, cancel))
  socket.write(Buffer.concat(parts))
  await within(once(socket, 'close'), 5000, 'the server to end the session')
  // GOAWAY's payload: the last stream id, then the error code.
  return frames(Buffer.concat(received)).find((f) => f.type === 0x7)?.payload.readUInt32BE(4) ?? -1
}

test('rapid reset from a raw client (HEADERS and RST_STREAM together): resets of pending requests end the session', async () => {
  const floods: Kind[] = []
  await withH2(
    app(),
    false,
    async (server) => {
      // 300 against the default budget of 200: each reset cuts short a handler still running.
      assert.equal(await rawResetFlood(server, '/slow', 300), constants.NGHTTP2_ENHANCE_YOUR_CALM)
      assert.deepEqual(floods, ['resets'])
      const session = await h2connect(server)
      assert.equal((await h2request(session, { ':path': '/ok' })).body, 'ok', 'the server goes on serving')
      session.close()
    },
    { http2: { onFlood: (kind) => floods.push(kind) } },
  )
})

test('rapid reset of requests answered at once: the flood still ends the session', async () => {
  await withH2(
    app(),
    false,
    async (server) => {
      // A synchronous handler has answered before node reads its stream's RST_STREAM, so the
      // reset cancels no work of weft's and weft counts nothing: each stream cost what a
      // request costs. nghttp2's own reset rate limit (a burst of 1000) then sends GOAWAY and
      // stops reading; node leaves the connection open, and the idle sweep closes it. Either
      // way the client cannot work the server without limit.
      const code = await rawResetFlood(server, '/ok', 3000)
      assert.ok(code > 0, `expected a GOAWAY with an error code, got ${code}`)
      const session = await h2connect(server)
      assert.equal((await h2request(session, { ':path': '/ok' })).body, 'ok', 'the server goes on serving')
      session.close()
    },
    // Short, so the idle sweep ends the connection nghttp2 stopped reading well within the wait.
    { http2: { idleTimeout: 400 } },
  )
})

test('a client that resets a few streams (a browser navigating away) is left alone', async () => {
  await withH2(app(), false, async (server) => {
    const session = await h2connect(server)
    for (let i = 0; i < 20; i++) {
      const stream = session.request({ ':path': '/slow' })
      stream.on('error', () => {})
      stream.close(constants.NGHTTP2_CANCEL)
    }
    assert.equal((await h2request(session, { ':path': '/ok' })).body, 'ok')
    session.close()
  })
})

test('PING flood: more than maxPings per window ends the session with ENHANCE_YOUR_CALM', async () => {
  const floods: Kind[] = []
  await withH2(
    app(),
    true,
    async (server) => {
      const code = await survives(server, (session) => {
        for (let i = 0; i < 200; i++) session.ping(Buffer.alloc(8, i), () => {})
      })
      assert.equal(code, constants.NGHTTP2_ENHANCE_YOUR_CALM)
      assert.deepEqual(floods, ['pings'])
    },
    { http2: { onFlood: (kind) => floods.push(kind) } },
  )
})

test('SETTINGS flood: more than maxSettings per window ends the session with ENHANCE_YOUR_CALM', async () => {
  const floods: Kind[] = []
  await withH2(
    app(),
    false,
    async (server) => {
      const code = await survives(server, async (session) => {
        // In small waves: node's client keeps at most a few SETTINGS unacknowledged.
        for (let i = 0; i < 200 && !session.destroyed; i++) {
          session.settings({ initialWindowSize: 65_535 + i })
          if (i % 5 === 4) await new Promise((r) => setTimeout(r, 5))
        }
      })
      assert.equal(code, constants.NGHTTP2_ENHANCE_YOUR_CALM)
      assert.deepEqual(floods, ['settings'])
    },
    { http2: { onFlood: (kind) => floods.push(kind), maxSettings: 20 } },
  )
})

test('an oversized header block is refused; the session and the server carry on', nghttpPeer, async () => {
  await withH2(app(), false, async (server) => {
    // nghttp sends its requests in its first flight, before it acknowledges the server's
    // SETTINGS: the server's own check answers 431, as HTTP/1.1 does.
    const big = 'a'.repeat(20 * 1024)
    const out = await run('nghttp', ['-v', '-H', `x-big: ${big}`, `${server.url}/ok`])
    assert.match(out.stdout, /:status: 431/)
    const fine = await run('nghttp', ['-H', `x-fine: ${'a'.repeat(8 * 1024)}`, `${server.url}/ok`])
    assert.equal(fine.stdout, 'ok')
    // After the SETTINGS exchange a larger block is refused at the frame level with
    // ENHANCE_YOUR_CALM (by nghttp2 on one side or the other); the session goes on.
    const session = await h2connect(server)
    await within(once(session, 'remoteSettings'), 5000, 'settings')
    await new Promise((r) => setTimeout(r, 50))
    const stream = session.request({ ':path': '/ok', 'x-big': big })
    stream.on('error', () => {})
    stream.resume()
    await within(new Promise((r) => stream.once('close', r)), 5000, 'the oversized stream to end')
    assert.equal(stream.rstCode, constants.NGHTTP2_ENHANCE_YOUR_CALM)
    assert.equal((await h2request(session, { ':path': '/ok', 'x-fine': 'a'.repeat(8 * 1024) })).body, 'ok')
    session.close()
  })
})
