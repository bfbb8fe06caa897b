// SNI (a map with exact names and one-label wildcards, or a callback; a default otherwise) and
// ALPN (h2 and http/1.1 on one port), with Node clients and `openssl s_client`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { peer } from '../helpers/peers.ts'
import { TlsConfigError, TlsServerConfig, SniResolver, resolvePolicy, type CertificateConfig } from 'weft/tls'
import { startServer, dial, hangUp, sClient, fixture, LOCALHOST } from './helpers.ts'

const openssl = peer('openssl', ['version'])
const cert = (stem: string): CertificateConfig => ({ cert: fixture(`${stem}.pem`), key: fixture(`${stem}.key`) })
// All ECDSA, like the default (localhost): see the key-type test below for why that matters.
const SNI = { 'A.WEFT.TEST.': cert('a.weft.test'), '*.wild.weft.test': cert('wild.weft.test') }

async function servedCN(port: number, servername: string, alpn?: string[]): Promise<{ cn: string; alpn: string | false; line: string }> {
  const { socket, line } = await dial(port, { servername, rejectUnauthorized: false, ...(alpn === undefined ? {} : { ALPNProtocols: alpn }) })
  const cn = socket.getPeerCertificate().subject?.CN ?? ''
  const negotiated = socket.alpnProtocol ?? false
  await hangUp(socket)
  return { cn: Array.isArray(cn) ? cn.join() : cn, alpn: negotiated, line }
}

test('SNI map: exact names (case-insensitive), a one-label wildcard, the default otherwise', { timeout: 30_000 }, async () => {
  const server = await startServer({ ...LOCALHOST, sni: SNI })
  try {
    assert.deepEqual(server.config.sniNames, ['a.weft.test', '*.wild.weft.test'])
    assert.equal((await servedCN(server.port, 'a.weft.test')).cn, 'a.weft.test')
    assert.equal((await servedCN(server.port, 'A.Weft.Test.')).cn, 'a.weft.test')
    assert.equal((await servedCN(server.port, 'x.wild.weft.test')).cn, '*.wild.weft.test')
    assert.equal((await servedCN(server.port, 'X.Wild.Weft.Test')).cn, '*.wild.weft.test')
    // A wildcard covers exactly one label.
    assert.equal((await servedCN(server.port, 'x.y.wild.weft.test')).cn, 'localhost')
    assert.equal((await servedCN(server.port, 'wild.weft.test')).cn, 'localhost')
    assert.equal((await servedCN(server.port, 'unknown.test')).cn, 'localhost')
    // And with verification on, each name's certificate checks out against the CA.
    const { socket } = await dial(server.port, { servername: 'q.wild.weft.test' })
    assert.equal(socket.authorized, true)
    await hangUp(socket)
  } finally {
    await server.close()
  }
})

test('SNI map without a default certificate: any key types; unknown names fail the handshake', { timeout: 20_000 }, async () => {
  const server = await startServer({ sni: { ...SNI, 'b.weft.test': cert('b.weft.test') } })
  try {
    assert.equal((await servedCN(server.port, 'a.weft.test')).cn, 'a.weft.test')
    assert.equal((await servedCN(server.port, 'b.weft.test')).cn, 'b.weft.test') // RSA
    await assert.rejects(servedCN(server.port, 'unknown.test'))
  } finally {
    await server.close()
  }
})

test('SNI map: bad names and bad entries are configuration errors', () => {
  for (const name of ['a.*.weft.test', '*weft.test', '**.weft.test', 'a..b', 'a b']) {
    assert.throws(() => new TlsServerConfig({ ...LOCALHOST, sni: { [name]: cert('a.weft.test') } }), (e: unknown) => e instanceof TlsConfigError && e.code === 'INVALID_OPTION', name)
  }
  assert.throws(
    () => new TlsServerConfig({ ...LOCALHOST, sni: { 'a.weft.test': { cert: fixture('a.weft.test.pem'), key: fixture('b.weft.test.key') } } }),
    (e: unknown) => e instanceof TlsConfigError && e.code === 'KEY_MISMATCH' && e.source.startsWith('tls.sni["a.weft.test"].key'),
  )
  // An RSA name next to an ECDSA default: node:tls (20) would serve the default to ECDSA clients.
  assert.throws(
    () => new TlsServerConfig({ ...LOCALHOST, sni: { 'b.weft.test': cert('b.weft.test') } }),
    (e: unknown) => e instanceof TlsConfigError && e.code === 'INVALID_OPTION' && /key type \(rsa\) differs .* \(ec\)/.test(e.message),
  )
  assert.throws(() => new TlsServerConfig({ ...LOCALHOST, sni: new Map([['a.weft.test', cert('a.weft.test')], ['A.weft.test', cert('a.weft.test')]]) }), /given twice/)
})

test('SNI callback: asked once per name, answers cached, null means the default, errors fail the handshake', { timeout: 30_000 }, async () => {
  const asked: string[] = []
  const server = await startServer({
    ...LOCALHOST,
    sni: async (name) => {
      asked.push(name)
      if (name === 'broken.test') throw new Error('certificate store unavailable')
      return name.endsWith('.wild.weft.test') ? SNI['*.wild.weft.test'] : name === 'a.weft.test' ? SNI['A.WEFT.TEST.'] : null
    },
  })
  try {
    assert.equal((await servedCN(server.port, 'a.weft.test')).cn, 'a.weft.test')
    assert.equal((await servedCN(server.port, 'a.weft.test')).cn, 'a.weft.test')
    assert.equal((await servedCN(server.port, 'one.wild.weft.test')).cn, '*.wild.weft.test')
    assert.equal((await servedCN(server.port, 'nobody.test')).cn, 'localhost')
    assert.equal((await servedCN(server.port, 'nobody.test')).cn, 'localhost')
    await assert.rejects(servedCN(server.port, 'broken.test'))
    assert.deepEqual(asked, ['a.weft.test', 'one.wild.weft.test', 'nobody.test', 'broken.test'])
  } finally {
    await server.close()
  }
})

test('SNI callback cache: entries expire after ttl (fake clock) and the oldest go past max', async () => {
  let now = 0
  const asked: string[] = []
  const settings = { policy: resolvePolicy({}), sessionIdContext: 'x', sessionTimeout: 60 }
  const resolver = new SniResolver((name) => (asked.push(name), null), settings, null, { ttl: 1000, max: 2 }, () => now)
  const ask = (name: string): Promise<void> => new Promise((resolve, reject) => resolver.SNICallback(name, (e) => (e === null ? resolve() : reject(e))))
  await ask('a.test')
  await ask('a.test')
  now = 999
  await ask('a.test')
  now = 1000
  await ask('a.test') // expired
  await ask('b.test')
  await ask('c.test') // pushes a.test out (max 2)
  await ask('a.test')
  assert.deepEqual(asked, ['a.test', 'a.test', 'b.test', 'c.test', 'a.test'])
})

test('ALPN: h2 and http/1.1 on one port, the server preference wins, SNI contexts included', { timeout: 20_000 }, async () => {
  const server = await startServer({ ...LOCALHOST, sni: SNI, alpn: ['h2', 'http/1.1'] })
  try {
    assert.equal((await servedCN(server.port, 'localhost', ['http/1.1', 'h2'])).alpn, 'h2')
    assert.equal((await servedCN(server.port, 'localhost', ['http/1.1'])).alpn, 'http/1.1')
    assert.equal((await servedCN(server.port, 'a.weft.test', ['h2'])).alpn, 'h2')
    assert.equal((await servedCN(server.port, 'x.wild.weft.test', ['http/1.1'])).alpn, 'http/1.1')
    assert.equal((await servedCN(server.port, 'localhost')).alpn, false) // no ALPN offered
    // No protocol in common: the handshake fails (RFC 7301 §3.2), not a silent fallback.
    await assert.rejects(servedCN(server.port, 'localhost', ['spdy/3']))
  } finally {
    await server.close()
  }
})

test('SNI and ALPN with openssl s_client', { skip: openssl.skip, timeout: 20_000 }, async () => {
  const server = await startServer({ ...LOCALHOST, sni: SNI, alpn: ['h2', 'http/1.1'] })
  try {
    const common = ['-CAfile', fixture('ca.pem'), '-verify_return_error']
    const h2 = await sClient(server.port, [...common, '-servername', 'a.weft.test', '-alpn', 'h2'])
    assert.equal(h2.code, 0, h2.out)
    assert.match(h2.out, /subject=O ?= ?weft, CN ?= ?a\.weft\.test/)
    assert.match(h2.out, /ALPN protocol: h2/)
    assert.match(h2.out, /Verify return code: 0 \(ok\)/)
    const h1 = await sClient(server.port, [...common, '-servername', 'z.wild.weft.test', '-alpn', 'http/1.1'])
    assert.equal(h1.code, 0, h1.out)
    assert.match(h1.out, /CN ?= ?\*\.wild\.weft\.test/)
    assert.match(h1.out, /ALPN protocol: http\/1\.1/)
  } finally {
    await server.close()
  }
})
