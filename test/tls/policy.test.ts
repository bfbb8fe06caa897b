// Protocol policies: TLS 1.2 minimum by default, forward-secret suites only, `modern` = 1.3
// only, explicit overrides; checked with Node clients and `openssl s_client`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { peer } from '../helpers/peers.ts'
import { TlsConfigError, TlsServerConfig, resolvePolicy, SECURE_CIPHERS, MODERN_CIPHERS } from 'weft/tls'
import { startServer, dial, hangUp, sClient, until, fixture, LOCALHOST } from './helpers.ts'

const openssl = peer('openssl', ['version'])
const RSA = { cert: fixture('b.weft.test.pem'), key: fixture('b.weft.test.key') }

function forwardSecret(cipher: string): boolean {
  return cipher.startsWith('TLS_') || /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/.test(cipher)
}

test('defaults: intermediate policy, TLS 1.2 minimum, FS suites, client picks the order', () => {
  assert.deepEqual(resolvePolicy({}), { minVersion: 'TLSv1.2', ciphers: SECURE_CIPHERS, honorCipherOrder: false })
  assert.deepEqual(resolvePolicy({ policy: 'modern' }), { minVersion: 'TLSv1.3', ciphers: MODERN_CIPHERS, honorCipherOrder: false })
  for (const cipher of SECURE_CIPHERS.split(':')) assert.ok(forwardSecret(cipher), cipher)
  const overridden = resolvePolicy({ policy: 'modern', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', ecdhCurve: 'P-256', honorCipherOrder: true })
  assert.deepEqual(overridden, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', ecdhCurve: 'P-256', honorCipherOrder: true })
  assert.throws(() => resolvePolicy({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' }), TlsConfigError)
  assert.throws(() => resolvePolicy({ policy: 'old' as 'modern' }), /unknown policy/)
  assert.throws(() => new TlsServerConfig({ ...LOCALHOST, ciphers: 'NOT-A-CIPHER' }), (e: unknown) => e instanceof TlsConfigError && e.source === 'tls.ciphers')
})

test('a TLS 1.1 client is refused (Node client)', { timeout: 20_000 }, async () => {
  const server = await startServer(LOCALHOST)
  try {
    await assert.rejects(dial(server.port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }))
    await until(() => server.clientErrors.length > 0, 5000, 'the server to see the failed handshake')
    assert.match(String(server.clientErrors[0]), /protocol|version/i)
    const { socket } = await dial(server.port) // and it keeps serving
    await hangUp(socket)
  } finally {
    await server.close()
  }
})

test('a TLS 1.1 client is refused (openssl s_client -tls1_1)', { skip: openssl.skip, timeout: 20_000 }, async () => {
  const server = await startServer(LOCALHOST)
  try {
    const old = await sClient(server.port, ['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0'])
    assert.notEqual(old.code, 0, old.out)
    // The server answers the 1.1 hello with a protocol_version alert and no certificate.
    assert.match(old.out, /alert protocol version/)
    assert.match(old.out, /no peer certificate available/)
    const ok = await sClient(server.port, ['-tls1_2', '-CAfile', fixture('ca.pem'), '-servername', 'localhost', '-verify_return_error'])
    assert.equal(ok.code, 0, ok.out)
    assert.match(ok.out, /Protocol\s*:\s*TLSv1\.2/)
  } finally {
    await server.close()
  }
})

test('negotiated suites are forward-secret: TLS 1.3, and 1.2 with ECDSA and RSA certificates', { timeout: 20_000 }, async () => {
  for (const [cert, servername, versions] of [
    [LOCALHOST, 'localhost', ['TLSv1.3', 'TLSv1.2']],
    [RSA, 'b.weft.test', ['TLSv1.2']],
  ] as const) {
    const server = await startServer(cert)
    try {
      for (const version of versions) {
        const { socket } = await dial(server.port, { servername, minVersion: version, maxVersion: version })
        const cipher = socket.getCipher()
        assert.equal(socket.getProtocol(), version)
        assert.ok(forwardSecret(cipher.name), `${version} ${cipher.name}`)
        if (version === 'TLSv1.2') assert.match(cipher.name, cert === RSA ? /^ECDHE-RSA-/ : /^ECDHE-ECDSA-/)
        await hangUp(socket)
      }
      // A client offering only static-RSA or CBC suites finds nothing in common.
      await assert.rejects(dial(server.port, { servername, maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256:AES256-SHA:ECDHE-RSA-AES128-SHA' }))
    } finally {
      await server.close()
    }
  }
})

test('modern refuses TLS 1.2 and serves 1.3', { timeout: 20_000 }, async () => {
  const server = await startServer({ ...LOCALHOST, policy: 'modern' })
  try {
    await assert.rejects(dial(server.port, { maxVersion: 'TLSv1.2' }))
    const { socket } = await dial(server.port)
    assert.equal(socket.getProtocol(), 'TLSv1.3')
    await hangUp(socket)
  } finally {
    await server.close()
  }
})

test('explicit overrides: maxVersion TLSv1.2 and one cipher', { timeout: 20_000 }, async () => {
  const server = await startServer({ ...RSA, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305' })
  try {
    const { socket } = await dial(server.port, { servername: 'b.weft.test' })
    assert.equal(socket.getProtocol(), 'TLSv1.2')
    assert.equal(socket.getCipher().name, 'ECDHE-RSA-CHACHA20-POLY1305')
    await hangUp(socket)
  } finally {
    await server.close()
  }
})
