// Session resumption with TLS 1.3 (and 1.2) tickets, and ticket keys that rotate: Node clients
// reusing sessions, and `openssl s_client` with -sess_out/-sess_in and -reconnect.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hkdfSync } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:tls'
import { peer } from '../helpers/peers.ts'
import { TlsServerConfig, TicketKeyRotator, TlsConfigError } from 'weft/tls'
import { startServer, dial, hangUp, nextSession, sClient, until, fixture, LOCALHOST } from './helpers.ts'

const openssl = peer('openssl', ['version'])

/** A full handshake, then the session ticket it produced. */
async function firstSession(port: number, maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): Promise<Buffer> {
  const { socket } = await dial(port, { maxVersion })
  const session = socket.getProtocol() === 'TLSv1.3' ? await nextSession(socket) : socket.getSession()!
  assert.equal(socket.isSessionReused(), false)
  await hangUp(socket)
  return session
}

async function resumes(port: number, session: Buffer, maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): Promise<boolean> {
  const { socket } = await dial(port, { session, maxVersion })
  const reused = socket.isSessionReused()
  await hangUp(socket)
  return reused
}

test('a TLS 1.3 session resumes; so does a 1.2 one', { timeout: 20_000 }, async () => {
  const server = await startServer(LOCALHOST)
  try {
    const session = await firstSession(server.port)
    assert.equal(await resumes(server.port, session), true)
    const old = await firstSession(server.port, 'TLSv1.2')
    assert.equal(await resumes(server.port, old, 'TLSv1.2'), true)
  } finally {
    await server.close()
  }
})

test('after a ticket-key rotation old tickets get a full handshake, new ones resume', { timeout: 20_000 }, async () => {
  const server = await startServer(LOCALHOST)
  try {
    const before = server.server.getTicketKeys()
    const session = await firstSession(server.port)
    server.config.tickets.rotate()
    assert.notDeepEqual(server.server.getTicketKeys(), before)
    assert.deepEqual(server.server.getTicketKeys(), server.config.tickets.key)
    // No overlap: node:tls holds one ticket key (see TicketKeyRotator). A full handshake, not a failure.
    assert.equal(await resumes(server.port, session), false)
    const fresh = await firstSession(server.port)
    assert.equal(await resumes(server.port, fresh), true)
  } finally {
    await server.close()
  }
})

test('the rotation timer changes keys on its interval, is unref’d, and stops on close', { timeout: 20_000 }, async () => {
  const server = await startServer({ ...LOCALHOST, sessions: { ticketKeyRotation: 100 } })
  const first = server.server.getTicketKeys()
  assert.equal(server.config.tickets.running, true)
  await until(() => server.config.tickets.rotations >= 2, 10_000, 'two rotations')
  assert.notDeepEqual(server.server.getTicketKeys(), first)
  await server.close()
  assert.equal(server.config.tickets.running, false)
})

test('closing the server detaches it: the last server stops the timer', { timeout: 20_000 }, async () => {
  const config = new TlsServerConfig(LOCALHOST)
  const a = createServer(config.serverOptions())
  const b = createServer(config.serverOptions())
  config.attach(a)
  config.attach(b)
  a.listen(0, '127.0.0.1')
  b.listen(0, '127.0.0.1')
  assert.equal(config.tickets.running, true)
  await new Promise<void>((r) => a.close(() => r()))
  assert.equal(config.tickets.running, true)
  await new Promise<void>((r) => b.close(() => r()))
  assert.equal(config.tickets.running, false)
  config.close()
})

test('derived ticket keys: two servers with one secret resume each other’s sessions', { timeout: 20_000 }, async () => {
  const secret = Buffer.from('a shared secret for this cluster')
  const sessions = { ticketKeys: (epoch: number) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `weft tickets ${epoch}`, 48)) }
  const one = await startServer({ ...LOCALHOST, sessions })
  const two = await startServer({ ...LOCALHOST, sessions })
  try {
    assert.deepEqual(one.server.getTicketKeys(), two.server.getTicketKeys())
    const session = await firstSession(one.port)
    assert.equal(await resumes(two.port, session), true)
  } finally {
    await one.close()
    await two.close()
  }
  assert.throws(() => new TicketKeyRotator({ ticketKeys: () => new Uint8Array(16) }), TlsConfigError)
  assert.throws(() => new TicketKeyRotator({ ticketKeyRotation: -1 }), TlsConfigError)
})

test('derived keys follow the clock’s epoch', () => {
  let now = 10_000
  const epochs: number[] = []
  const rotator = new TicketKeyRotator({ ticketKeyRotation: 1000, ticketKeys: (e) => (epochs.push(e), Buffer.alloc(48, e)) }, () => now)
  assert.equal(rotator.key[0], 10)
  now = 12_500
  rotator.rotate()
  assert.equal(rotator.key[0], 12)
  rotator.rotate() // forced within the same epoch: moves on to the next key
  assert.equal(rotator.key[0], 13)
  assert.deepEqual(epochs, [10, 12, 13])
})

test('openssl s_client resumes: TLS 1.3 with -sess_out/-sess_in, TLS 1.2 with -reconnect', { skip: openssl.skip, timeout: 30_000 }, async () => {
  // The server ends each connection after its greeting, so s_client (-ign_eof) reads on until
  // then and is sure to have the ticket, which TLS 1.3 sends after the handshake.
  const server = await startServer(LOCALHOST, undefined, { endAfterGreeting: true })
  const dir = mkdtempSync(join(tmpdir(), 'weft-sess-'))
  try {
    const common = ['-servername', 'localhost', '-CAfile', fixture('ca.pem'), '-verify_return_error', '-ign_eof']
    const file = join(dir, 'session.pem')
    const first = await sClient(server.port, [...common, '-tls1_3', '-sess_out', file])
    assert.match(first.out, /^New, TLSv1\.3/m)
    const second = await sClient(server.port, [...common, '-tls1_3', '-sess_in', file])
    assert.match(second.out, /^Reused, TLSv1\.3/m, second.out)
    const reconnect = await sClient(server.port, [...common, '-tls1_2', '-reconnect'])
    assert.equal(reconnect.code, 0, reconnect.out)
    assert.equal(reconnect.out.match(/^Reused, TLSv1\.2/gm)?.length, 5, reconnect.out)
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await server.close()
  }
})
