// TCP: listen/connect round trips against node:net peers, reading, writing, half-close,
// backpressure on both directions, idle timeout and the listener's queue.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect as nodeConnect } from 'node:net'
import { once } from 'node:events'
import { listen, connect, isNetError, type Connection, type Listener } from 'weft/net'
import { delay, drainedWithin, nodePeer, readAll, stillPending, text, within } from './helpers.ts'

async function echo(conn: Connection): Promise<void> {
  for await (const chunk of conn) await conn.write(chunk)
  await conn.end()
}

function serveEach(listener: Listener, handle: (conn: Connection) => Promise<void>): Promise<void> {
  return (async () => {
    for await (const conn of listener) handle(conn).catch(() => conn.reset())
  })()
}

test('weft listener echoes to a node:net client', { timeout: 10_000 }, async () => {
  const listener = await listen({ port: 0 })
  assert.equal(listener.address, '127.0.0.1')
  assert.ok(listener.port > 0)
  assert.equal(listener.url, `tcp://127.0.0.1:${listener.port}`)
  const loop = serveEach(listener, echo)
  const socket = nodeConnect(listener.port, '127.0.0.1')
  socket.end('hello, weft')
  assert.equal((await within(readAll(socket), 5000, 'echo')).toString(), 'hello, weft')
  await listener.close()
  await within(loop, 2000, 'the accept loop to end')
})

test('weft client round-trips with a node:net echo server; addresses are reported', { timeout: 10_000 }, async () => {
  const peer = await nodePeer((s) => s.pipe(s))
  try {
    const conn = await connect({ host: '127.0.0.1', port: peer.port })
    assert.equal(conn.remoteAddress, '127.0.0.1')
    assert.equal(conn.remotePort, peer.port)
    assert.equal(conn.localAddress, '127.0.0.1')
    assert.ok((conn.localPort ?? 0) > 0)
    assert.equal(conn.tls, null)
    const payload = Buffer.alloc(200_000, 'abcdefgh')
    const writing = (async () => {
      for (let i = 0; i < payload.length; i += 7_000) await conn.write(payload.subarray(i, i + 7_000))
      await conn.end()
    })()
    const got: Uint8Array[] = []
    for await (const chunk of conn) got.push(chunk)
    await writing
    assert.ok(Buffer.concat(got).equals(payload))
    assert.equal(await conn.read(), null, 'read() after the end keeps giving null')
    await conn.close()
  } finally {
    await peer.close()
  }
})

test('readExactly assembles frames across split chunks and keeps the rest', { timeout: 10_000 }, async () => {
  const peer = await nodePeer(async (s) => {
    // A 4-byte length prefix and body, dribbled out in uneven pieces.
    const frames = ['first frame', 'second', 'x'.repeat(70_000)]
    const wire = Buffer.concat(frames.flatMap((f) => {
      const body = Buffer.from(f)
      const head = Buffer.alloc(4)
      head.writeUInt32BE(body.length)
      return [head, body]
    }))
    let at = 0
    for (const size of [1, 3, 2, 7, 11, 1000, 64_000]) {
      s.write(wire.subarray(at, at + size))
      at += size
      await delay(2)
    }
    s.end(wire.subarray(at))
  })
  try {
    const conn = await connect({ host: '127.0.0.1', port: peer.port })
    const frames: string[] = []
    for (;;) {
      const head = await conn.readExactly(4).catch((e: unknown) => (isNetError(e, 'UNEXPECTED_EOF') ? null : Promise.reject(e)))
      if (head === null) break
      const length = Buffer.from(head).readUInt32BE(0)
      frames.push(text(await conn.readExactly(length)))
    }
    assert.deepEqual(frames.map((f) => f.length), [11, 6, 70_000])
    assert.equal(frames[0], 'first frame')
    assert.equal(frames[1], 'second')
    assert.deepEqual(await conn.readExactly(0), new Uint8Array(0))
    await conn.close()
  } finally {
    await peer.close()
  }
})

test('readExactly rejects with UNEXPECTED_EOF on an early end; the partial bytes stay readable', { timeout: 10_000 }, async () => {
  const peer = await nodePeer((s) => s.end('only7by'))
  try {
    const conn = await connect({ host: '127.0.0.1', port: peer.port })
    await assert.rejects(conn.readExactly(10), (e: unknown) => isNetError(e, 'UNEXPECTED_EOF') && e.name === 'NetError')
    const rest = await conn.read()
    assert.equal(rest === null ? null : text(rest), 'only7by')
    assert.equal(await conn.read(), null)
    await conn.close()
  } finally {
    await peer.close()
  }
})

test('end() half-closes: the peer sees EOF and can still answer', { timeout: 10_000 }, async () => {
  const peer = await nodePeer(async (s) => {
    const request = await readAll(s) // only completes once we half-close
    s.end(`got ${request.length} bytes`)
  })
  try {
    const conn = await connect({ host: '127.0.0.1', port: peer.port })
    await conn.write('12345')
    await conn.end()
    await assert.rejects(conn.write('more'), (e: unknown) => isNetError(e, 'CLOSED'))
    const reply: Uint8Array[] = []
    for await (const chunk of conn) reply.push(chunk)
    assert.equal(Buffer.concat(reply).toString(), 'got 5 bytes')
    await within(conn.closed, 2000, 'the socket to close after both sides ended')
  } finally {
    await peer.close()
  }
})

test('the server side sees the client half-close and replies after it', { timeout: 10_000 }, async () => {
  const listener = await listen({ port: 0 })
  const loop = serveEach(listener, async (conn) => {
    let total = 0
    for await (const chunk of conn) total += chunk.length
    await conn.write(`total=${total}`)
    await conn.end()
  })
  const socket = nodeConnect({ port: listener.port, host: '127.0.0.1', allowHalfOpen: true })
  socket.write('a'.repeat(1000))
  socket.end('b'.repeat(234))
  assert.equal((await within(readAll(socket), 5000, 'reply')).toString(), 'total=1234')
  await listener.close()
  await loop
})

test('write() waits while a non-reading peer applies backpressure; memory stays bounded', { timeout: 20_000 }, async () => {
  const highWaterMark = 16 * 1024
  let peerSocket: import('node:net').Socket | undefined
  const peer = await nodePeer((s) => {
    s.pause() // reads nothing until told
    peerSocket = s
  })
  try {
    const conn = await connect({ host: '127.0.0.1', port: peer.port, highWaterMark })
    const chunk = Buffer.alloc(64 * 1024, 1)
    let written = 0
    let pending: Promise<void> | null = null
    // Kernel buffers on loopback hold a few MB at most; 256 MB would mean write() never waits.
    while (written < 256 * 1024 * 1024) {
      const p = conn.write(chunk)
      written += chunk.length
      if (await stillPending(p, 20)) {
        pending = p
        break
      }
    }
    assert.ok(pending !== null, 'a write to a peer that does not read eventually waits')
    assert.ok(conn.node.writableLength <= highWaterMark + chunk.length, `user-space buffer bounded (${conn.node.writableLength})`)
    assert.ok(await stillPending(pending), 'and keeps waiting while the peer does not read')
    // The peer starts reading: the write completes and every byte arrives.
    let received = 0
    peerSocket!.on('data', (d: Buffer) => (received += d.length))
    peerSocket!.resume()
    await within(pending, 10_000, 'the pending write to resolve once the peer reads')
    await conn.end()
    await within(once(peerSocket!, 'end'), 10_000, 'the peer to read everything')
    assert.equal(received, written)
    await conn.close()
  } finally {
    await peer.close()
  }
})

test('a connection that is not read stops reading from the socket (bounded buffer)', { timeout: 20_000 }, async () => {
  const highWaterMark = 16 * 1024
  const listener = await listen({ port: 0, highWaterMark })
  const accepted = listener.accept()
  const socket = nodeConnect(listener.port, '127.0.0.1')
  socket.on('error', () => {})
  await once(socket, 'connect')
  const conn = (await within(accepted, 5000, 'accept'))!
  const first = conn.read() // starts reading, then the program stops reading
  const chunk = Buffer.alloc(64 * 1024, 2)
  // Write until the sender stays blocked: TCP flow control has stopped it. 256 MB would mean the
  // receiving side never stopped reading.
  let blocked = false
  for (let sent = 0; sent < 256 * 1024 * 1024 && !blocked; sent += chunk.length) {
    if (!socket.write(chunk)) blocked = !(await drainedWithin(socket, 100))
  }
  assert.ok(blocked, 'the sender is eventually held back')
  await first
  await delay(50)
  const buffered = conn.node.readableLength
  assert.ok(buffered <= highWaterMark + 64 * 1024, `unread data held in user space is bounded (${buffered} bytes)`)
  assert.ok(socket.writableLength > 0, 'the sender is held back by TCP flow control')
  socket.destroy()
  await conn.close()
  await listener.close()
})

test('idle timeout closes the connection with TIMED_OUT', { timeout: 10_000 }, async () => {
  const listener = await listen({ port: 0, idleTimeout: 100 })
  const accepted = listener.accept()
  const socket = nodeConnect(listener.port, '127.0.0.1')
  socket.on('error', () => {})
  const conn = (await accepted)!
  await assert.rejects(within(conn.read(), 5000, 'the idle timeout'), (e: unknown) => isNetError(e, 'TIMED_OUT'))
  await within(once(socket, 'close'), 5000, 'the peer to see the close')
  await assert.rejects(conn.write('late'), (e: unknown) => isNetError(e, 'TIMED_OUT'))
  await listener.close()
})

test('setIdleTimeout on a client connection; activity resets it', { timeout: 10_000 }, async () => {
  const peer = await nodePeer((s) => s.on('data', (d) => s.write(d)))
  try {
    const conn = await connect({ host: '127.0.0.1', port: peer.port, idleTimeout: 150, noDelay: false, keepAlive: 1000 })
    for (let i = 0; i < 3; i++) {
      await conn.write('ping')
      assert.equal(text((await conn.read())!), 'ping')
    }
    await assert.rejects(within(conn.read(), 5000, 'idle timeout'), (e: unknown) => isNetError(e, 'TIMED_OUT'))
  } finally {
    await peer.close()
  }
})

test('close() flushes written data, ends pending reads with null and releases the socket', { timeout: 10_000 }, async () => {
  let got: Promise<Buffer> | undefined
  const peer = await nodePeer((s) => (got = readAll(s)))
  try {
    const conn = await connect({ host: '127.0.0.1', port: peer.port })
    const reading = conn.read()
    await conn.write(Buffer.alloc(100_000, 3))
    await within(conn.close(), 5000, 'close')
    assert.equal(await reading, null)
    assert.equal(await conn.read(), null)
    await assert.rejects(conn.write('x'), (e: unknown) => isNetError(e, 'CLOSED'))
    await conn.close() // idempotent
    assert.equal((await within(got!, 5000, 'peer read')).length, 100_000)
  } finally {
    await peer.close()
  }
})

test('a second concurrent read() is refused', { timeout: 10_000 }, async () => {
  const peer = await nodePeer(() => {})
  try {
    const conn = await connect({ host: '127.0.0.1', port: peer.port })
    const first = conn.read()
    await assert.rejects(conn.read(), TypeError)
    await conn.close()
    assert.equal(await first, null)
  } finally {
    await peer.close()
  }
})

test('listener close() ends for-await and frees the port', { timeout: 10_000 }, async () => {
  const listener = await listen({ port: 0 })
  const port = listener.port
  // Two clients connect; nobody takes them yet.
  const clients = [nodeConnect(port, '127.0.0.1'), nodeConnect(port, '127.0.0.1')]
  for (const c of clients) c.on('error', () => {})
  await Promise.all(clients.map((c) => once(c, 'connect')))
  for (let i = 0; i < 100 && listener.pending < 2; i++) await delay(10)
  assert.equal(listener.pending, 2)
  const first = await listener.accept()
  assert.ok(first !== null)
  const iterated: Connection[] = []
  const loop = (async () => {
    for await (const conn of listener) iterated.push(conn)
  })()
  await delay(20)
  await listener.close()
  await within(loop, 2000, 'iteration to end')
  assert.equal(iterated.length, 1, 'the queued connection was delivered to the loop before close')
  assert.equal(await listener.accept(), null)
  assert.equal(listener.closed, true)
  // The port is free again at once.
  const again = await listen({ port })
  await again.close()
  await first.close()
  await iterated[0]!.close()
  for (const c of clients) c.destroy()
})

test('listener close() closes connections still waiting in its queue', { timeout: 10_000 }, async () => {
  const listener = await listen({ port: 0 })
  const client = nodeConnect(listener.port, '127.0.0.1')
  client.on('error', () => {})
  await once(client, 'connect')
  for (let i = 0; i < 100 && listener.pending < 1; i++) await delay(10)
  assert.equal(listener.pending, 1)
  await listener.close()
  assert.equal(listener.pending, 0)
  await within(once(client, 'close'), 5000, 'the queued client to be closed')
})

test('leaving the for-await loop closes the listener', { timeout: 10_000 }, async () => {
  const listener = await listen({ port: 0 })
  const client = nodeConnect(listener.port, '127.0.0.1')
  client.on('error', () => {})
  for await (const conn of listener) {
    await conn.close()
    break
  }
  assert.equal(listener.closed, true)
  client.destroy()
})

test('a full pending queue drops new connections and counts them', { timeout: 10_000 }, async () => {
  const listener = await listen({ port: 0, maxPending: 2 })
  const clients = Array.from({ length: 5 }, () => nodeConnect(listener.port, '127.0.0.1'))
  const closed = clients.map((c) => {
    c.on('error', () => {})
    return once(c, 'close')
  })
  // Dropped clients are closed by the server; wait until three have seen that.
  let closedCount = 0
  for (const p of closed) void p.then(() => closedCount++)
  for (let i = 0; i < 200 && closedCount < 3; i++) await delay(10)
  assert.equal(listener.dropped, 3)
  assert.equal(listener.pending, 2)
  assert.equal(closedCount, 3)
  const a = await listener.accept()
  const b = await listener.accept()
  assert.ok(a !== null && b !== null)
  await a.close()
  await b.close()
  await listener.close()
  for (const c of clients) c.destroy()
})

test('an abort signal closes the listener', { timeout: 10_000 }, async () => {
  const controller = new AbortController()
  const listener = await listen({ port: 0, signal: controller.signal })
  const next = listener.accept()
  controller.abort()
  assert.equal(await within(next, 2000, 'accept to end'), null)
  assert.equal(listener.closed, true)
})

test('many concurrent connections through one listener', { timeout: 20_000 }, async () => {
  const listener = await listen({ port: 0 })
  const loop = serveEach(listener, echo)
  const results = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const conn = await connect({ host: '127.0.0.1', port: listener.port })
      await conn.write(`message ${i}`)
      await conn.end()
      const parts: Uint8Array[] = []
      for await (const chunk of conn) parts.push(chunk)
      await conn.close()
      return Buffer.concat(parts).toString()
    }),
  )
  assert.deepEqual(results, Array.from({ length: 50 }, (_, i) => `message ${i}`))
  await listener.close()
  await loop
})
