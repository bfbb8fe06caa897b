// Typed errors: every failure is a NetError with a stable code and the system details kept.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { once } from 'node:events'
import { listen, connect, NetError, isNetError, toNetError, type NetErrorCode } from 'weft/net'
import { nodePeer, within } from './helpers.ts'

function hasCode(code: NetErrorCode, syscallCode?: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof NetError, `a NetError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    if (syscallCode !== undefined) assert.equal(e.syscallCode, syscallCode)
    return true
  }
}

/** A loopback port with nothing listening on it (bound, then released). */
async function closedPort(): Promise<number> {
  const listener = await listen({ port: 0 })
  const port = listener.port
  await listener.close()
  return port
}

/** A server that accepts and then says nothing: a TLS handshake against it never completes. */
async function silentServer(): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => s.on('error', () => {}))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  return { port: typeof address === 'object' && address !== null ? address.port : 0, server }
}

test('connecting to a closed port rejects with CONNECTION_REFUSED (errno kept)', async () => {
  const port = await closedPort()
  await assert.rejects(connect({ host: '127.0.0.1', port }), (e: unknown) => {
    hasCode('CONNECTION_REFUSED', 'ECONNREFUSED')(e)
    const err = e as NetError
    assert.equal(err.syscall, 'connect')
    assert.equal(err.port, port)
    assert.ok(err.cause instanceof Error)
    return true
  })
})

test('listening on a port in use rejects with ADDRESS_IN_USE', async () => {
  const first = await listen({ port: 0 })
  try {
    await assert.rejects(listen({ port: first.port }), hasCode('ADDRESS_IN_USE', 'EADDRINUSE'))
  } finally {
    await first.close()
  }
})

test('a connection that does not complete in time rejects with TIMED_OUT', { timeout: 10_000 }, async () => {
  const silent = await silentServer()
  try {
    await assert.rejects(
      within(connect({ host: '127.0.0.1', port: silent.port, timeout: 100, tls: { rejectUnauthorized: false } }), 5000, 'connect timeout'),
      hasCode('TIMED_OUT'),
    )
  } finally {
    silent.server.close()
  }
})

test('an abort signal cancels a pending connect with ABORTED', { timeout: 10_000 }, async () => {
  const silent = await silentServer()
  try {
    const controller = new AbortController()
    const pending = connect({ host: '127.0.0.1', port: silent.port, signal: controller.signal, tls: { rejectUnauthorized: false } })
    setTimeout(() => controller.abort(), 20)
    await assert.rejects(within(pending, 5000, 'abort'), hasCode('ABORTED'))
    await assert.rejects(connect({ host: '127.0.0.1', port: silent.port, signal: AbortSignal.abort() }), hasCode('ABORTED'))
  } finally {
    silent.server.close()
  }
})

test('an abort after connecting closes the connection with ABORTED', { timeout: 10_000 }, async () => {
  const peer = await nodePeer(() => {})
  try {
    const controller = new AbortController()
    const conn = await connect({ host: '127.0.0.1', port: peer.port, signal: controller.signal })
    const reading = conn.read()
    controller.abort()
    await assert.rejects(within(reading, 5000, 'read'), hasCode('ABORTED'))
  } finally {
    await peer.close()
  }
})

test('a peer reset surfaces as CONNECTION_RESET', { timeout: 10_000 }, async () => {
  const listener = await listen({ port: 0 })
  try {
    const accepted = listener.accept()
    const client = await connect({ host: '127.0.0.1', port: listener.port })
    const server = (await accepted)!
    const reading = client.read()
    await server.reset()
    await assert.rejects(within(reading, 5000, 'read after reset'), hasCode('CONNECTION_RESET', 'ECONNRESET'))
    await assert.rejects(client.write('x'), hasCode('CONNECTION_RESET'))
  } finally {
    await listener.close()
  }
})

test('an unknown host rejects with NOT_FOUND (or DNS_FAILED where no resolver answers)', { timeout: 20_000 }, async () => {
  await assert.rejects(connect({ host: 'no-such-host.invalid', port: 80, timeout: 10_000 }), (e: unknown) => {
    assert.ok(isNetError(e))
    assert.ok(e.code === 'NOT_FOUND' || e.code === 'DNS_FAILED', `${e.code}: ${e.message}`)
    return true
  })
})

test('argument errors are NetErrors too', async () => {
  await assert.rejects(connect({ host: '127.0.0.1' }), hasCode('INVALID_ARGUMENT'))
  await assert.rejects(listen({ path: '/tmp/x', port: 1 }), hasCode('INVALID_ARGUMENT'))
})

test('toNetError maps errnos and passes NetErrors through', () => {
  const cases: Array<[string, NetErrorCode]> = [
    ['ECONNREFUSED', 'CONNECTION_REFUSED'],
    ['ECONNRESET', 'CONNECTION_RESET'],
    ['EPIPE', 'CONNECTION_RESET'],
    ['ETIMEDOUT', 'TIMED_OUT'],
    ['EADDRINUSE', 'ADDRESS_IN_USE'],
    ['EHOSTUNREACH', 'HOST_UNREACHABLE'],
    ['ENOTFOUND', 'NOT_FOUND'],
    ['ABORT_ERR', 'ABORTED'],
    ['ERR_SSL_SOMETHING_NEW', 'TLS_HANDSHAKE_FAILED'],
    ['EWHATEVER', 'UNKNOWN'],
  ]
  for (const [errno, code] of cases) {
    const system = Object.assign(new Error(`boom ${errno}`), { code: errno, syscall: 'connect' })
    const mapped = toNetError(system, 'ctx')
    assert.equal(mapped.code, code, errno)
    assert.equal(mapped.syscallCode, errno)
    assert.equal(mapped.cause, system)
    assert.match(mapped.message, /^ctx: boom/)
  }
  const own = new NetError('CLOSED', 'x')
  assert.equal(toNetError(own), own)
  assert.equal(toNetError('a string').code, 'UNKNOWN')
  assert.equal(toNetError(new DOMException('stop', 'AbortError')).code, 'ABORTED')
})
