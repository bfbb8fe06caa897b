// Cleartext HTTP/1.1 and HTTP/2 on one port: the connection preface decides, and only the
// preface is read before the choice. Hostile and unusual clients: silent, slow, cut off, a
// preface split byte by byte, bytes that begin like the preface and then differ, and an
// HTTP/1.1 connection that leaves node's parser (a WebSocket upgrade) with large messages.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter, once } from 'node:events'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { WebSocket } from 'ws'
import { App, serve, type Server } from 'weft'
import { prefacePeeker, prefaceSniffer } from '../../../src/http/engines/preface.ts'
import { RawClient, delay } from '../../helpers/raw.ts'
import { within } from '../../helpers/wait.ts'
import { H2_PREFACE, frame, frames, getHeaderBlock, h2connect, h2request } from '../../http2/helpers.ts'

function app(): App {
  const a = new App({ logErrors: false })
  a.get('/ok', () => 'ok')
  a.ws('/echo', { message: (ws, m) => void ws.send(m) })
  return a
}

async function withFront(fn: (server: Server, port: number) => Promise<void>, headersTimeout = 10_000): Promise<void> {
  const server = await serve(app(), { port: 0, http2: true, headersTimeout })
  try {
    await fn(server, Number(new URL(server.url).port))
  } finally {
    await server.close({ timeout: 1000 })
  }
}

/** Writes `bytes` one at a time, `every` ms apart, until the server hangs up; returns how many went. */
async function trickle(c: RawClient, bytes: Buffer, every: number): Promise<number> {
  let sent = 0
  for (const byte of bytes) {
    if (c.ended) break
    c.write(Buffer.from([byte]))
    sent++
    await delay(every)
  }
  return sent
}

/** The frames a raw client needs for `GET path` on stream 1 after the preface: SETTINGS, then HEADERS. */
function firstRequest(path: string): Buffer {
  return Buffer.concat([frame(0x4, 0, 0, Buffer.alloc(0)), frame(0x1, 0x5, 1, getHeaderBlock(path))])
}

test('HTTP/1.1 and HTTP/2 on one cleartext port, one after the other and side by side', async () => {
  await withFront(async (server, port) => {
    const session = await h2connect(server)
    const h1 = await RawClient.open(port)
    h1.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n')
    const [h2answer, h1answer] = await Promise.all([h2request(session, { ':path': '/ok' }), h1.response()])
    assert.equal(h2answer.body, 'ok')
    assert.equal(h1answer.body.toString(), 'ok')
    // Keep-alive: the HTTP/1.1 connection goes on with node's parser.
    h1.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n')
    assert.equal((await h1.response()).status, 200)
    h1.destroy()
    session.close()
  })
})

test('a preface sent one byte at a time, then a request: answered over HTTP/2', async () => {
  await withFront(async (_server, port) => {
    const c = await RawClient.open(port)
    for (const byte of H2_PREFACE) {
      c.write(Buffer.from([byte]))
      await delay(2)
    }
    c.write(firstRequest('/ok'))
    await c.waitFor(() => frames(c.pending()).some((f) => f.type === 0x0 && f.id === 1), 5000, 'the DATA of stream 1')
    const types = frames(c.pending()).map((f) => f.type)
    assert.ok(types.includes(0x4), 'the server sent SETTINGS')
    assert.ok(types.includes(0x1), 'the server sent HEADERS')
    c.destroy()
  })
})

test('the preface, its first requests and more in one write: every request answered', async () => {
  await withFront(async (_server, port) => {
    const c = await RawClient.open(port)
    // What h2load sends: the preface and a first flight of requests in one packet.
    const parts = [H2_PREFACE, frame(0x4, 0, 0, Buffer.alloc(0))]
    for (let i = 0; i < 50; i++) parts.push(frame(0x1, 0x5, 2 * i + 1, getHeaderBlock('/ok')))
    c.write(Buffer.concat(parts))
    await c.waitFor(() => frames(c.pending()).filter((f) => f.type === 0x0).length >= 50, 5000, '50 answers')
    const answered = new Set(frames(c.pending()).filter((f) => f.type === 0x0).map((f) => f.id))
    assert.equal(answered.size, 50)
    c.destroy()
  })
})

test('a request line split after its first byte goes to HTTP/1.1 at once', async () => {
  await withFront(async (_server, port) => {
    const c = await RawClient.open(port)
    c.write('G')
    await delay(20)
    c.write('ET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    const answer = await c.response()
    assert.equal(answer.status, 200)
    assert.equal(answer.body.toString(), 'ok')
  })
})

test('bytes that begin like the preface and then differ go to HTTP/1.1, which refuses them', async () => {
  await withFront(async (_server, port) => {
    const c = await RawClient.open(port)
    c.write('PRI * HTTP/1.1\r\nHost: x\r\n\r\n')
    await c.closed(5000)
    const got = c.pending().toString('latin1')
    assert.match(got, /^HTTP\/1\.1 4\d\d /, `an HTTP/1.1 client error, got ${JSON.stringify(got.slice(0, 40))}`)
  })
})

test('a silent connection, and one that stops mid-preface, are dropped after headersTimeout', async () => {
  await withFront(async (_server, port) => {
    const silent = await RawClient.open(port)
    const partial = await RawClient.open(port)
    partial.write(H2_PREFACE.subarray(0, 10))
    await Promise.all([silent.closed(5000), partial.closed(5000)])
    assert.equal(silent.received, 0)
    assert.equal(partial.received, 0)
  }, 300)
})

test('a preface trickled slower than headersTimeout allows is dropped: the limit is for the whole preface', async () => {
  await withFront(async (_server, port) => {
    const c = await RawClient.open(port)
    // 24 bytes at one per 50 ms take 1.2 s; each byte arrives well within 300 ms of the last.
    const sent = await trickle(c, H2_PREFACE, 50)
    await c.closed(5000)
    assert.ok(sent < H2_PREFACE.length, `the server waited for all ${sent} bytes`)
    assert.equal(c.received, 0)
  }, 300)
})

test('clients that leave mid-preface are forgotten: close() resolves without waiting for them', { timeout: 20_000 }, async () => {
  const server = await serve(app(), { port: 0, http2: true })
  const port = Number(new URL(server.url).port)
  const gone: RawClient[] = []
  for (let i = 0; i < 5; i++) {
    const c = await RawClient.open(port)
    c.write(H2_PREFACE.subarray(0, 3 + i))
    gone.push(c)
  }
  await delay(20)
  for (const c of gone) c.destroy()
  // One still connected mid-preface: close() ends it at its deadline (timeout 0 = at once).
  const stuck = await RawClient.open(port)
  stuck.write(H2_PREFACE.subarray(0, 5))
  await delay(20)
  await within(server.close({ timeout: 0 }), 5000, 'close()')
  await stuck.closed(2000)
  const again = await serve(app(), { port, http2: true })
  await again.close()
})

test('WebSocket on the cleartext HTTP/2 port: large and small messages both ways', async () => {
  await withFront(async (server) => {
    const ws = new WebSocket(`${server.url.replace('http:', 'ws:')}/echo`)
    await within(once(ws, 'open'), 5000, 'the WebSocket')
    const big = Buffer.alloc(300_000)
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff
    const messages: Buffer[] = []
    const done = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer) => {
        messages.push(Buffer.from(data))
        if (messages.length === 3) resolve()
      })
    })
    ws.send(Buffer.from('small'))
    ws.send(big)
    ws.send(Buffer.from('after'))
    await within(done, 5000, 'three echoes')
    assert.equal(messages[0]!.toString(), 'small')
    assert.ok(messages[1]!.equals(big), 'the large message came back whole')
    assert.equal(messages[2]!.toString(), 'after')
    ws.close()
    await within(once(ws, 'close'), 5000, 'the close')
  })
})

test('the peeker reads the preface and no byte more, and hands on the very socket node accepted', async () => {
  const accepted: Socket[] = []
  const chosen: Array<{ kind: string; same: boolean; buffered: number; first: string }> = []
  const take = (kind: string) => (socket: Socket): void => {
    chosen.push({ kind, same: socket === accepted.at(-1), buffered: socket.readableLength, first: '' })
    const entry = chosen.at(-1)!
    socket.once('data', (first: Buffer) => {
      entry.first = first.toString('latin1')
      socket.destroy()
    })
    socket.resume()
  }
  const h1 = new EventEmitter().on('connection', take('h1'))
  const peek = prefacePeeker(h1, take('h2'), 2000, (socket) => void accepted.push(socket))
  const server = createServer({ pauseOnConnect: true }, peek)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  try {
    const h2 = await RawClient.open(port)
    h2.write(Buffer.concat([H2_PREFACE, firstRequest('/ok')]))
    await h2.closed(5000)
    const line = `GET /${'a'.repeat(60)} HTTP/1.1\r\nhost: x\r\n\r\n`
    const h1client = await RawClient.open(port)
    h1client.write(line)
    await h1client.closed(5000)
    assert.equal(accepted.length, 2)
    assert.deepEqual(chosen.map(({ kind, same, buffered }) => [kind, same, buffered]), [['h2', true, H2_PREFACE.length], ['h1', true, H2_PREFACE.length]])
    // What stayed in the kernel comes after what was read, in order.
    assert.ok(chosen[0]!.first.startsWith(H2_PREFACE.toString('latin1')))
    assert.ok(line.startsWith(chosen[1]!.first), `HTTP/1.1 got ${JSON.stringify(chosen[1]!.first)}`)
  } finally {
    server.close()
  }
})

/** A bare net server with the fallback sniffer in front of two recorders instead of engines. */
async function withSniffer(fn: (port: number, chosen: Array<[string, Buffer]>) => Promise<void>): Promise<void> {
  const chosen: Array<[string, Buffer]> = []
  const take = (kind: string) => (socket: Socket): void => {
    socket.once('data', (first: Buffer) => {
      chosen.push([kind, first])
      socket.destroy()
    })
    socket.resume()
  }
  const h1 = new EventEmitter().on('connection', take('h1'))
  const server = createServer(prefaceSniffer(h1, take('h2'), 300))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    await fn((server.address() as AddressInfo).port, chosen)
  } finally {
    server.close()
  }
}

test('fallback sniffer: the preface goes to HTTP/2 and other bytes to HTTP/1.1, each with the bytes read', async () => {
  await withSniffer(async (port, chosen) => {
    const h2 = await RawClient.open(port)
    h2.write(H2_PREFACE.subarray(0, 5))
    await delay(20)
    h2.write(Buffer.concat([H2_PREFACE.subarray(5), firstRequest('/ok')]))
    await h2.closed(5000)
    const h1 = await RawClient.open(port)
    h1.write('GET / HTTP/1.1\r\n\r\n')
    await h1.closed(5000)
    assert.deepEqual(chosen.map(([kind]) => kind), ['h2', 'h1'])
    assert.ok(chosen[0]![1].equals(Buffer.concat([H2_PREFACE, firstRequest('/ok')])), 'HTTP/2 got every byte read')
    assert.equal(chosen[1]![1].toString(), 'GET / HTTP/1.1\r\n\r\n')
  })
})

test('fallback sniffer: silent and trickling connections are dropped at the deadline', async () => {
  await withSniffer(async (port, chosen) => {
    const silent = await RawClient.open(port)
    const slow = await RawClient.open(port)
    const sent = await trickle(slow, H2_PREFACE, 50)
    await Promise.all([silent.closed(5000), slow.closed(5000)])
    assert.ok(sent < H2_PREFACE.length, `the sniffer waited for all ${sent} bytes`)
    assert.deepEqual(chosen, [])
  })
})
