// Mutual TLS: required or requested client certificates, the peer certificate as plain data,
// and client options (custom CA, client certificate) from weft's own loader.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { connect } from 'node:tls'
import { once } from 'node:events'
import { peer } from '../helpers/peers.ts'
import { TlsServerConfig, TlsConfigError, peerCertificateInfo, createTlsClientOptions } from 'weft/tls'
import { startServer, dial, hangUp, sClient, within, fixture, LOCALHOST } from './helpers.ts'

const openssl = peer('openssl', ['version'])
const CLIENT = { cert: readFileSync(fixture('client.pem')), key: readFileSync(fixture('client.key')) }
const OTHER_CLIENT = { cert: readFileSync(fixture('other-client.pem')), key: readFileSync(fixture('other-client.key')) }

test('required client certificate: none → the handshake fails; one from the CA → peer info', { timeout: 20_000 }, async () => {
  const server = await startServer({ ...LOCALHOST, requireClientCert: true, ca: fixture('ca.pem') })
  try {
    // TLS 1.3 clients finish their side first; the refusal arrives as an alert right after.
    await assert.rejects(dial(server.port))
    await assert.rejects(dial(server.port, OTHER_CLIENT))
    await assert.rejects(dial(server.port, { maxVersion: 'TLSv1.2' }))
    // Node drops an unverified client after the handshake without a tlsClientError; the
    // missing certificate is one.
    assert.equal(server.accepted.length, 0)
    assert.match(server.clientErrors.map(String).join('\n'), /peer did not return a certificate/i)
    const { socket } = await dial(server.port, CLIENT)
    const info = peerCertificateInfo(server.accepted.at(-1)!)
    const expected = new X509Certificate(CLIENT.cert)
    assert.ok(info !== null)
    assert.deepEqual(info.subject, { O: 'weft', CN: 'weft test client' })
    assert.deepEqual(info.issuer, { O: 'weft', CN: 'weft test CA' })
    assert.equal(info.authorized, true)
    assert.equal(info.authorizationError, null)
    assert.equal(info.fingerprint256, expected.fingerprint256)
    assert.equal(info.serialNumber, expected.serialNumber)
    assert.equal(info.validTo.getTime(), new Date(expected.validTo).getTime())
    assert.ok(info.validFrom < info.validTo)
    assert.deepEqual(info.raw, expected.raw)
    // The client side sees the server's certificate the same way.
    assert.equal(peerCertificateInfo(socket)?.subject.CN, 'localhost')
    // A plain object: it outlives the socket and serializes.
    await hangUp(socket)
    assert.equal(JSON.parse(JSON.stringify(info)).subject.CN, 'weft test client')
  } finally {
    await server.close()
  }
})

test('requested client certificate: optional, and `authorized` says whether it verified', { timeout: 20_000 }, async () => {
  const server = await startServer({ ...LOCALHOST, requestCert: true, ca: fixture('ca.pem') })
  try {
    const none = await dial(server.port)
    assert.equal(peerCertificateInfo(server.accepted.at(-1)!), null)
    await hangUp(none.socket)
    const other = await dial(server.port, OTHER_CLIENT)
    const info = peerCertificateInfo(server.accepted.at(-1)!)
    assert.equal(info?.subject.CN, 'weft other client')
    assert.equal(info?.authorized, false)
    assert.match(info?.authorizationError ?? '', /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/)
    await hangUp(other.socket)
  } finally {
    await server.close()
  }
})

test('requireClientCert without `ca` is a configuration error', () => {
  assert.throws(() => new TlsServerConfig({ ...LOCALHOST, requireClientCert: true }), (e: unknown) => e instanceof TlsConfigError && e.source === 'tls.requireClientCert')
})

test('client options: CA, server name, ALPN and a client certificate from files', { timeout: 20_000 }, async () => {
  const server = await startServer({ ...LOCALHOST, requireClientCert: true, ca: fixture('ca.pem'), alpn: ['h2', 'http/1.1'] })
  try {
    const options = { ca: fixture('ca.pem'), cert: fixture('client.pem'), key: fixture('client.key'), alpn: ['http/1.1'] }
    const socket = connect({ host: '127.0.0.1', port: server.port, ...createTlsClientOptions(options, 'localhost') })
    await within(once(socket, 'data'), 10_000, 'the greeting') // the server has accepted by then
    assert.equal(socket.authorized, true)
    assert.equal(socket.alpnProtocol, 'http/1.1')
    assert.equal((socket as typeof socket & { servername?: string }).servername, 'localhost')
    assert.equal(peerCertificateInfo(server.accepted.at(-1)!)?.subject.CN, 'weft test client')
    await hangUp(socket)
    // The same options object reuses its secure context; an IP host sends no SNI.
    assert.equal(createTlsClientOptions(options, '127.0.0.1').secureContext, createTlsClientOptions(options).secureContext)
    assert.equal(createTlsClientOptions(options, '127.0.0.1').servername, undefined)
    // Client material is checked up front too.
    assert.throws(() => createTlsClientOptions({ cert: fixture('client.pem'), key: fixture('localhost.key') }), (e: unknown) => e instanceof TlsConfigError && e.code === 'KEY_MISMATCH')
    assert.throws(() => createTlsClientOptions({ ca: '/nonexistent/ca.pem' }), (e: unknown) => e instanceof TlsConfigError && e.code === 'UNREADABLE')
  } finally {
    await server.close()
  }
})

test('openssl s_client with and without a client certificate', { skip: openssl.skip, timeout: 20_000 }, async () => {
  const server = await startServer({ ...LOCALHOST, requireClientCert: true, ca: fixture('ca.pem') }, () => 'hello client\n', { endAfterGreeting: true })
  try {
    const common = ['-servername', 'localhost', '-CAfile', fixture('ca.pem'), '-ign_eof']
    const withCert = await sClient(server.port, [...common, '-cert', fixture('client.pem'), '-key', fixture('client.key')])
    assert.match(withCert.out, /hello client/)
    const without = await sClient(server.port, common)
    assert.doesNotMatch(without.out, /hello client/)
    assert.match(without.out, /certificate required/i)
  } finally {
    await server.close()
  }
})
