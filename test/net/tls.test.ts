// TLS through the same API: listen({ tls }) / connect({ tls }), with certificates made by
// openssl for this run (a throwaway CA and a leaf for localhost/127.0.0.1).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { once } from 'node:events'
import { peer } from '../helpers/peers.ts'
import { listen, connect, isNetError, type Connection, type Listener, type NetError } from 'weft/net'
import { text, within } from './helpers.ts'

const openssl = peer('openssl', ['version'])
let dir = ''
let ca = ''
let cert = ''
let key = ''

before(() => {
  if (openssl.skip !== false) return
  dir = mkdtempSync(join(tmpdir(), 'weft-tls-'))
  const sh = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
  sh('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=weft test CA')
  sh('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost')
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  sh('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2', '-extfile', 'ext.cnf')
  ca = readFileSync(join(dir, 'ca.pem'), 'utf8')
  cert = readFileSync(join(dir, 'leaf.pem'), 'utf8')
  key = readFileSync(join(dir, 'leaf.key'), 'utf8')
})

after(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true })
})

async function echoListener(extra: { alpn?: string[]; minVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}, errors: NetError[] = []): Promise<{ listener: Listener; loop: Promise<void> }> {
  const listener = await listen({ port: 0, tls: { cert, key, ...extra }, onError: (e) => errors.push(e) })
  const loop = (async () => {
    for await (const conn of listener) {
      void (async (c: Connection) => {
        await c.write(`${c.tls?.protocol} ${c.tls?.alpnProtocol ?? '-'} ${c.tls?.servername ?? '-'}\n`)
        for await (const chunk of c) await c.write(chunk)
        await c.end()
      })(conn).catch(() => conn.reset())
    }
  })()
  return { listener, loop }
}

test('TLS round trip with a verified certificate, ALPN and SNI', { skip: openssl.skip, timeout: 20_000 }, async () => {
  const { listener, loop } = await echoListener({ alpn: ['h2', 'http/1.1'] })
  assert.equal(listener.url, `tls://127.0.0.1:${listener.port}`)
  const conn = await connect({ host: 'localhost', port: listener.port, family: 4, tls: { ca, alpn: ['http/1.1'] } })
  assert.equal(conn.tls?.authorized, true)
  assert.equal(conn.tls?.alpnProtocol, 'http/1.1')
  assert.match(conn.tls?.protocol ?? '', /^TLSv1\.[23]$/)
  await conn.write('secret')
  await conn.end()
  const parts: Uint8Array[] = []
  for await (const chunk of conn) parts.push(chunk)
  assert.equal(Buffer.concat(parts).toString(), `${conn.tls?.protocol} http/1.1 localhost\nsecret`)
  await conn.close()
  await listener.close()
  await loop
})

test('TLS: an untrusted certificate rejects with CERTIFICATE_INVALID', { skip: openssl.skip, timeout: 20_000 }, async () => {
  const { listener, loop } = await echoListener()
  await assert.rejects(connect({ host: 'localhost', port: listener.port, family: 4, tls: {} }), (e: unknown) => isNetError(e, 'CERTIFICATE_INVALID'))
  // A name the certificate does not cover.
  await assert.rejects(connect({ host: '127.0.0.1', port: listener.port, tls: { ca, servername: 'example.com' } }), (e: unknown) => isNetError(e, 'CERTIFICATE_INVALID'))
  await listener.close()
  await loop
})

test('TLS: the server refuses TLS 1.1 (minVersion TLSv1.2 by default)', { skip: openssl.skip, timeout: 20_000 }, async () => {
  const errors: NetError[] = []
  const { listener, loop } = await echoListener({}, errors)
  const old = tlsConnect({ host: '127.0.0.1', port: listener.port, ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' })
  const [error] = (await within(once(old, 'error'), 10_000, 'the handshake to fail')) as [Error]
  assert.ok(error instanceof Error)
  old.destroy()
  for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
  assert.equal(errors[0]?.code, 'TLS_HANDSHAKE_FAILED', errors[0]?.message)
  // The listener keeps serving.
  const conn = await connect({ host: 'localhost', port: listener.port, family: 4, tls: { ca, minVersion: 'TLSv1.3' } })
  assert.equal(conn.tls?.protocol, 'TLSv1.3')
  assert.match(text((await conn.read())!), /^TLSv1\.3 /)
  await conn.close()
  await listener.close()
  await loop
})
