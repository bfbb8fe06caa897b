// weft/net takes the same TLS configuration: listen({ tls }) and connect({ tls }) with file
// paths, SNI, mutual TLS, a shared TlsServerConfig reloaded through listener.tls.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { listen, connect, isNetError, type Listener } from 'weft/net'
import { TlsServerConfig, peerCertificateInfo, isTlsConfigError } from 'weft/tls'
import { fixture, LOCALHOST } from './helpers.ts'

function serve(listener: Listener): Promise<void> {
  return (async () => {
    for await (const conn of listener) {
      const peerCN = peerCertificateInfo(conn.node)?.subject.CN ?? '-'
      await conn.write(`${conn.tls?.servername ?? '-'} ${conn.tls?.alpnProtocol ?? '-'} ${peerCN}\n`)
      await conn.end()
    }
  })()
}

async function line(options: Parameters<typeof connect>[0]): Promise<{ text: string; issuer: string }> {
  const conn = await connect({ host: '127.0.0.1', timeout: 10_000, ...options })
  const parts: Uint8Array[] = []
  for await (const chunk of conn) parts.push(chunk)
  const issuer = peerCertificateInfo(conn.node)?.issuer.CN ?? '-'
  await conn.close()
  return { text: Buffer.concat(parts).toString().trim(), issuer }
}

test('listen({ tls }) with paths, SNI, ALPN and client certificates; connect({ tls }) with paths', { timeout: 20_000 }, async () => {
  const listener = await listen({
    port: 0,
    tls: { ...LOCALHOST, sni: { 'a.weft.test': { cert: fixture('a.weft.test.pem'), key: fixture('a.weft.test.key') } }, alpn: ['h2', 'http/1.1'], requestCert: true, ca: fixture('ca.pem') },
  })
  const loop = serve(listener)
  try {
    assert.ok(listener.tls instanceof TlsServerConfig)
    const port = listener.port
    assert.equal((await line({ port, tls: { ca: fixture('ca.pem'), servername: 'a.weft.test', alpn: ['h2'] } })).text, 'a.weft.test h2 -')
    const mutual = await line({ port, tls: { ca: fixture('ca.pem'), servername: 'localhost', cert: fixture('client.pem'), key: fixture('client.key') } })
    assert.equal(mutual.text, 'localhost - weft test client')
    // Unreadable material is a NetError (INVALID_ARGUMENT) whose cause says what and where.
    await assert.rejects(connect({ port, tls: { ca: '/nonexistent/ca.pem' } }), (e: unknown) => isNetError(e, 'INVALID_ARGUMENT') && isTlsConfigError(e.cause, 'UNREADABLE'))
    await assert.rejects(listen({ port: 0, tls: { cert: fixture('localhost.pem'), key: fixture('a.weft.test.key') } }), (e: unknown) => isNetError(e, 'INVALID_ARGUMENT') && isTlsConfigError(e.cause, 'KEY_MISMATCH'))
  } finally {
    await listener.close()
    await loop
  }
  assert.equal(listener.tls?.tickets.running, false) // a config of its own closes with the listener
})

test('a shared TlsServerConfig: listener.tls.setCertificates() reloads, closing leaves the config usable', { timeout: 20_000 }, async () => {
  const config = new TlsServerConfig(LOCALHOST)
  const one = await listen({ port: 0, tls: config })
  const two = await listen({ port: 0, tls: config })
  const loops = [serve(one), serve(two)]
  try {
    assert.equal(one.tls, config)
    assert.equal((await line({ port: one.port, tls: { ca: fixture('ca.pem'), servername: 'localhost' } })).issuer, 'weft test CA')
    one.tls!.setCertificates({ cert: fixture('other.pem'), key: fixture('other.key') })
    for (const port of [one.port, two.port]) {
      await assert.rejects(line({ port, tls: { ca: fixture('ca.pem'), servername: 'localhost' } }), (e: unknown) => isNetError(e, 'CERTIFICATE_INVALID'))
      assert.equal((await line({ port, tls: { ca: fixture('other-ca.pem'), servername: 'localhost' } })).issuer, 'weft other CA')
    }
    await one.close()
    assert.equal(config.tickets.running, true) // still serving `two`
    assert.equal((await line({ port: two.port, tls: { ca: fixture('other-ca.pem'), servername: 'localhost' } })).issuer, 'weft other CA')
  } finally {
    await one.close()
    await two.close()
    await Promise.all(loops)
  }
  assert.equal(config.tickets.running, false)
  config.close()
})
