// OCSP stapling: answers made at test time by `openssl ocsp` from the committed CA index (no
// network responder), served in the handshake, cached until their nextUpdate (a fake clock
// moves time), and checked before stapling.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import type { X509Certificate } from 'node:crypto'
import { connect, type ConnectionOptions } from 'node:tls'
import { peer } from '../helpers/peers.ts'
import { parseOcspResponse, OcspParseError } from 'weft/tls'
import { startServer, dial, hangUp, sClient, within, fixture, LOCALHOST } from './helpers.ts'

const openssl = peer('openssl', ['version'])
let dir = ''

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-ocsp-'))
})
after(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true })
})

let made = 0
/** A DER OCSP response from the test CA about `stem`.pem, valid for `minutes`. */
function ocspResponse(stem: string, minutes = 10): Buffer {
  const out = join(dir, `resp-${made++}.der`)
  execFileSync('openssl', ['ocsp', '-index', fixture('ocsp/index.txt'), '-rsigner', fixture('ca.pem'), '-rkey', fixture('ca.key'), '-CA', fixture('ca.pem'), '-issuer', fixture('ca.pem'), '-cert', fixture(`${stem}.pem`), '-no_nonce', '-respout', out, '-nmin', String(minutes)], { stdio: 'ignore' })
  return readFileSync(out)
}

test('parseOcspResponse reads status, serials, verdicts and the validity window', { skip: openssl.skip }, () => {
  const good = parseOcspResponse(ocspResponse('localhost', 30))
  assert.equal(good.status, 'successful')
  assert.equal(good.responses.length, 1)
  const [single] = good.responses
  assert.equal(single!.serialNumber, '1000')
  assert.equal(single!.certStatus, 'good')
  assert.equal(single!.nextUpdate!.getTime() - single!.thisUpdate.getTime(), 30 * 60_000)
  assert.equal(parseOcspResponse(ocspResponse('revoked')).responses[0]!.certStatus, 'revoked')
})

test('parseOcspResponse: error statuses, and garbage refused', () => {
  // OCSPResponse { responseStatus tryLater(3) } — no responseBytes.
  assert.deepEqual(parseOcspResponse(Buffer.from('30030a0103', 'hex')), { status: 'tryLater', producedAt: null, responses: [] })
  for (const bad of ['', '30', '3005', '300302', '0a0100', '30030a010300', '3084ffffffff0a0100']) {
    assert.throws(() => parseOcspResponse(Buffer.from(bad, 'hex')), OcspParseError, bad)
  }
})

interface Hook {
  calls: Array<{ cert: X509Certificate; issuer: X509Certificate | null }>
  fetch: (cert: X509Certificate, issuer: X509Certificate | null) => Promise<Uint8Array | null>
}

function hook(answer: (cert: X509Certificate) => Uint8Array | null | Promise<Uint8Array | null>): Hook {
  const calls: Hook['calls'] = []
  return { calls, fetch: async (cert, issuer) => (calls.push({ cert, issuer }), answer(cert)) }
}

/** dial() with requestOCSP, capturing the staple from the client's 'OCSPResponse' event. */
async function dialForStaple(port: number, servername = 'localhost'): Promise<Buffer | null> {
  const socket = connect({ host: '127.0.0.1', port, servername, ca: readFileSync(fixture('ca.pem')), requestOCSP: true } as ConnectionOptions)
  let staple: Buffer | null = null
  socket.on('OCSPResponse', (response: Buffer) => (staple = response))
  await within(once(socket, 'secureConnect'), 10_000, 'the handshake')
  await hangUp(socket)
  return staple
}

test('the staple is fetched once, served to every handshake, and refetched after nextUpdate', { skip: openssl.skip, timeout: 30_000 }, async () => {
  const response = ocspResponse('localhost', 10)
  const nextUpdate = parseOcspResponse(response).responses[0]!.nextUpdate!.getTime()
  let now = nextUpdate - 10 * 60_000
  const h = hook(() => response)
  const server = await startServer({ ...LOCALHOST, ocsp: h.fetch, clock: () => now })
  try {
    assert.deepEqual(await dialForStaple(server.port), response)
    assert.deepEqual(await dialForStaple(server.port), response)
    now = nextUpdate - 1
    assert.deepEqual(await dialForStaple(server.port), response)
    assert.equal(h.calls.length, 1)
    assert.equal(h.calls[0]!.cert.subject, 'O=weft\nCN=localhost')
    assert.equal(h.calls[0]!.issuer?.subject, 'O=weft\nCN=weft test CA')
    now = nextUpdate // the answer is stale from here on
    await dialForStaple(server.port)
    assert.equal(h.calls.length, 2)
    assert.equal(server.config.ocsp?.fetches, 2)
    // A client that does not ask gets no staple and causes no fetch.
    const { socket } = await dial(server.port)
    await hangUp(socket)
    assert.equal(h.calls.length, 2)
  } finally {
    await server.close()
  }
})

test('openssl s_client -status shows the stapled answer', { skip: openssl.skip, timeout: 30_000 }, async () => {
  const response = ocspResponse('localhost', 10)
  const server = await startServer({ ...LOCALHOST, ocsp: async () => response })
  try {
    const result = await sClient(server.port, ['-status', '-servername', 'localhost', '-CAfile', fixture('ca.pem')])
    assert.equal(result.code, 0, result.out)
    assert.match(result.out, /OCSP Response Status: successful/)
    assert.match(result.out, /Cert Status: good/)
    assert.match(result.out, /Serial Number: 1000/)
  } finally {
    await server.close()
  }
})

test('no staple when the hook has none, fails, or answers about another certificate; retried later', { skip: openssl.skip, timeout: 30_000 }, async () => {
  let now = Date.now()
  const errors: Error[] = []
  let mode: 'none' | 'throw' | 'other' | 'tryLater' = 'none'
  const other = ocspResponse('revoked')
  const h = hook(() => {
    if (mode === 'throw') throw new Error('responder unreachable')
    return mode === 'other' ? other : mode === 'tryLater' ? Buffer.from('30030a0103', 'hex') : null
  })
  const server = await startServer({ ...LOCALHOST, ocsp: { fetch: h.fetch, retryAfter: 1000, onError: (e) => errors.push(e) }, clock: () => now })
  try {
    for (const next of ['none', 'throw', 'other', 'tryLater'] as const) {
      mode = next
      now += 1000 // past retryAfter: the hook is asked again
      assert.equal(await dialForStaple(server.port), null, next)
      assert.equal(await dialForStaple(server.port), null, next) // cached, no new call
    }
    assert.equal(h.calls.length, 4)
    assert.deepEqual(
      errors.map((e) => e.message.replace(/:.*/, '')),
      ['responder unreachable', 'OCSP answer for O=weft, CN=localhost not stapled', 'OCSP answer for O=weft, CN=localhost not stapled'],
    )
    assert.match(errors[1]!.message, /serial 1000 not among them/)
    assert.match(errors[2]!.message, /tryLater/)
  } finally {
    await server.close()
  }
})

test('with SNI, each certificate gets its own staple', { skip: openssl.skip, timeout: 30_000 }, async () => {
  const answers = new Map([['1000', ocspResponse('localhost')], ['1001', ocspResponse('a.weft.test')]])
  const h = hook((cert) => answers.get(cert.serialNumber) ?? null)
  const server = await startServer({ ...LOCALHOST, sni: { 'a.weft.test': { cert: fixture('a.weft.test.pem'), key: fixture('a.weft.test.key') } }, ocsp: h.fetch })
  try {
    assert.deepEqual(await dialForStaple(server.port, 'a.weft.test'), answers.get('1001'))
    assert.deepEqual(await dialForStaple(server.port, 'localhost'), answers.get('1000'))
    assert.deepEqual(await dialForStaple(server.port, 'a.weft.test'), answers.get('1001'))
    assert.deepEqual(h.calls.map((c) => c.cert.serialNumber), ['1001', '1000'])
  } finally {
    await server.close()
  }
})

