// Certificates and keys from paths, PEM text, bytes, PFX and encrypted keys; every mistake is a
// TlsConfigError naming the file or option, raised when the configuration is built.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import { TlsConfigError, TlsServerConfig, loadCertificate, isTlsConfigError, type TlsServerOptions } from 'weft/tls'
import { startServer, dial, hangUp, fixture, pem, PASSPHRASE } from './helpers.ts'

const LEAF = new X509Certificate(readFileSync(fixture('localhost.pem')))

async function servedFingerprint(options: TlsServerOptions): Promise<string> {
  const server = await startServer(options)
  try {
    const { socket } = await dial(server.port)
    const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? 'none'
    await hangUp(socket)
    return fingerprint
  } finally {
    await server.close()
  }
}

const sources: Array<[string, TlsServerOptions]> = [
  ['file paths', { cert: fixture('localhost.pem'), key: fixture('localhost.key') }],
  ['PEM strings', { cert: pem('localhost.pem'), key: pem('localhost.key') }],
  ['Buffers', { cert: readFileSync(fixture('localhost.pem')), key: readFileSync(fixture('localhost.key')) }],
  ['Uint8Arrays', { cert: new Uint8Array(readFileSync(fixture('localhost.pem'))), key: new Uint8Array(readFileSync(fixture('localhost.key'))) }],
  ['an encrypted key with its passphrase', { cert: fixture('localhost.pem'), key: fixture('localhost.enc.key'), passphrase: PASSPHRASE }],
  ['a PFX file with its passphrase', { pfx: fixture('localhost.pfx'), passphrase: PASSPHRASE }],
  ['PFX bytes with its passphrase', { pfx: readFileSync(fixture('localhost.pfx')), passphrase: PASSPHRASE }],
]

for (const [name, options] of sources) {
  test(`serves the certificate from ${name}`, { timeout: 20_000 }, async () => {
    assert.equal(await servedFingerprint(options), LEAF.fingerprint256)
  })
}

function configError(options: TlsServerOptions): TlsConfigError {
  try {
    new TlsServerConfig(options).close()
  } catch (error) {
    assert.ok(error instanceof TlsConfigError, `expected a TlsConfigError, got ${String(error)}`)
    return error
  }
  assert.fail('the configuration was accepted')
}

test('a key that does not belong to the certificate fails at configuration time, naming both', () => {
  const error = configError({ cert: fixture('localhost.pem'), key: fixture('a.weft.test.key') })
  assert.equal(error.code, 'KEY_MISMATCH')
  assert.match(error.message, /a\.weft\.test\.key/)
  assert.match(error.message, /localhost\.pem/)
  assert.match(error.message, /CN=localhost/)
})

test('a missing file names the path and the option', () => {
  const error = configError({ cert: '/nonexistent/cert.pem', key: fixture('localhost.key') })
  assert.equal(error.code, 'UNREADABLE')
  assert.equal(error.source, 'tls.cert (/nonexistent/cert.pem)')
  assert.match(error.message, /ENOENT/)
})

test('an encrypted key without, or with a wrong, passphrase', () => {
  const missing = configError({ cert: fixture('localhost.pem'), key: fixture('localhost.enc.key') })
  assert.equal(missing.code, 'PASSPHRASE')
  assert.match(missing.message, /encrypted.*passphrase/)
  const wrong = configError({ cert: fixture('localhost.pem'), key: fixture('localhost.enc.key'), passphrase: 'nope' })
  assert.equal(wrong.code, 'PASSPHRASE')
  assert.match(wrong.message, /wrong passphrase/)
})

test('a PFX without, or with a wrong, passphrase; PEM text given as a PFX', () => {
  assert.equal(configError({ pfx: fixture('localhost.pfx') }).code, 'PASSPHRASE')
  const wrong = configError({ pfx: fixture('localhost.pfx'), passphrase: 'nope' })
  assert.equal(wrong.code, 'PASSPHRASE')
  assert.match(wrong.message, /tls\.pfx.*wrong passphrase/)
  assert.equal(configError({ pfx: pem('localhost.pem'), passphrase: 'x' }).code, 'INVALID_CERTIFICATE')
})

test('not a certificate, not a key, missing halves, both cert and pfx', () => {
  assert.equal(configError({ cert: fixture('localhost.key'), key: fixture('localhost.key') }).code, 'INVALID_CERTIFICATE')
  assert.equal(configError({ cert: fixture('localhost.pem'), key: fixture('ca.pem') }).code, 'INVALID_KEY')
  assert.equal(configError({ cert: fixture('localhost.pem') }).code, 'INVALID_OPTION')
  assert.equal(configError({}).code, 'INVALID_OPTION')
  assert.equal(configError({ cert: fixture('localhost.pem'), key: fixture('localhost.key'), pfx: fixture('localhost.pfx') }).code, 'INVALID_OPTION')
  assert.equal(configError({ cert: fixture('localhost.pem'), key: fixture('localhost.key'), ca: '/nonexistent/ca.pem' }).code, 'UNREADABLE')
})

test('loadCertificate reports the leaf of each chain', () => {
  const loaded = loadCertificate({ cert: [fixture('localhost.pem'), fixture('b.weft.test.pem')], key: [fixture('localhost.key'), fixture('b.weft.test.key')] }, 'tls')
  assert.deepEqual(
    loaded.leaves.map((l) => l.subject),
    ['O=weft\nCN=localhost', 'O=weft\nCN=b.weft.test'],
  )
  assert.ok(isTlsConfigError(configError({ cert: [fixture('localhost.pem'), fixture('b.weft.test.pem')], key: [fixture('b.weft.test.key'), fixture('localhost.key')] }), 'KEY_MISMATCH'))
})

test('an expired certificate loads (it may be on purpose) and clients refuse it', { timeout: 20_000 }, async () => {
  const server = await startServer({ cert: fixture('expired.pem'), key: fixture('expired.key') })
  try {
    await assert.rejects(dial(server.port), (e: unknown) => (e as { code?: string }).code === 'CERT_HAS_EXPIRED')
  } finally {
    await server.close()
  }
})
