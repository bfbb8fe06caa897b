// Reload without restart: setCertificates() swaps the default and SNI certificates for new
// handshakes, leaves open connections alone, and refuses a bad set without changing anything.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { TlsConfigError } from 'weft/tls'
import { startServer, dial, hangUp, within, fixture, pem, LOCALHOST } from './helpers.ts'

const OTHER = { cert: fixture('other.pem'), key: fixture('other.key') }
const cn = (socket: Parameters<typeof hangUp>[0]): string => String(socket.getPeerCertificate().subject?.CN)
const issuer = (socket: Parameters<typeof hangUp>[0]): string => String(socket.getPeerCertificate().issuer?.CN)

test('setCertificates: new handshakes get the new certificates, an open connection keeps working', { timeout: 20_000 }, async () => {
  const server = await startServer({ ...LOCALHOST, sni: { 'a.weft.test': { cert: fixture('a.weft.test.pem'), key: fixture('a.weft.test.key') } } })
  try {
    const open = await dial(server.port)
    assert.equal(issuer(open.socket), 'weft test CA')
    const keys = server.server.getTicketKeys()

    server.config.setCertificates({ ...OTHER, sni: { '*.wild.weft.test': { cert: fixture('wild.weft.test.pem'), key: fixture('wild.weft.test.key') } } })

    // New handshakes: the other CA's localhost certificate; the old CA no longer verifies it.
    await assert.rejects(dial(server.port), /self.signed|unable to verify|certificate/i)
    const fresh = await dial(server.port, { ca: pem('other-ca.pem') })
    assert.equal(issuer(fresh.socket), 'weft other CA')
    await hangUp(fresh.socket)
    // The SNI map was replaced as a whole.
    const a = await dial(server.port, { servername: 'a.weft.test', rejectUnauthorized: false })
    assert.equal(cn(a.socket), 'localhost')
    await hangUp(a.socket)
    const wild = await dial(server.port, { servername: 'x.wild.weft.test' })
    assert.equal(cn(wild.socket), '*.wild.weft.test')
    await hangUp(wild.socket)
    // The ticket key survives the reload.
    assert.deepEqual(server.server.getTicketKeys(), keys)

    // The connection made before the reload still carries data both ways.
    const served = server.accepted[0]!
    served.write('still here\n')
    const [chunk] = (await within(once(open.socket, 'data'), 5000, 'data on the old connection')) as [string]
    assert.equal(chunk, 'still here\n')
    open.socket.write('me too')
    const [back] = (await within(once(served, 'data'), 5000, 'data from the old connection')) as [Buffer]
    assert.equal(back.toString(), 'me too')
    assert.equal(issuer(open.socket), 'weft test CA')
    await hangUp(open.socket)
  } finally {
    await server.close()
  }
})

test('setCertificates with a bad set throws and changes nothing', { timeout: 20_000 }, async () => {
  const server = await startServer(LOCALHOST)
  try {
    assert.throws(() => server.config.setCertificates({ cert: fixture('other.pem'), key: fixture('localhost.key') }), (e: unknown) => e instanceof TlsConfigError && e.code === 'KEY_MISMATCH')
    assert.throws(() => server.config.setCertificates({ ...OTHER, sni: { 'a.weft.test': { cert: '/missing.pem', key: fixture('a.weft.test.key') } } }), (e: unknown) => e instanceof TlsConfigError && e.code === 'UNREADABLE')
    const { socket } = await dial(server.port)
    assert.equal(issuer(socket), 'weft test CA')
    await hangUp(socket)
  } finally {
    await server.close()
  }
})
