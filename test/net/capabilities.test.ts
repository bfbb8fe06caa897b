import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as zlib from 'node:zlib'
import { capabilities, supportsReusePort, listen, isNetError } from 'weft/net'

test('capabilities() describes the platform and the running Node', () => {
  const caps = capabilities()
  assert.equal(caps.platform, process.platform)
  assert.equal(caps.node, process.versions.node)
  assert.equal(caps.eventLoop, ({ linux: 'epoll', darwin: 'kqueue', freebsd: 'kqueue', win32: 'iocp', sunos: 'event ports' } as Record<string, string>)[process.platform] ?? caps.eventLoop)
  assert.equal(typeof caps.reusePort, 'boolean')
  assert.equal(caps.http2, true)
  assert.equal(caps.zstd, typeof (zlib as unknown as Record<string, unknown>)['createZstdCompress'] === 'function')
  assert.equal(caps.tls.defaultMinVersion, 'TLSv1.2')
  assert.ok(caps.tls.versions.includes('TLSv1.2'))
  assert.equal(caps.tls.versions.includes('TLSv1.3'), caps.tls.tls13)
  assert.ok(Object.isFrozen(caps))
  assert.equal(capabilities(), caps, 'computed once')
})

test('reusePort detection follows the Node version and platform', () => {
  assert.equal(supportsReusePort('20.19.0', 'linux'), false)
  assert.equal(supportsReusePort('22.11.0', 'linux'), false)
  assert.equal(supportsReusePort('22.12.0', 'linux'), true)
  assert.equal(supportsReusePort('23.0.0', 'linux'), false)
  assert.equal(supportsReusePort('23.1.0', 'linux'), true)
  assert.equal(supportsReusePort('24.0.0', 'darwin'), false)
  assert.equal(supportsReusePort('24.0.0', 'win32'), false)
})

test('listen({ reusePort }) works where supported and is UNSUPPORTED elsewhere', async () => {
  if (!capabilities().reusePort) {
    await assert.rejects(listen({ port: 0, reusePort: true }), (e: unknown) => isNetError(e, 'UNSUPPORTED'))
    return
  }
  const a = await listen({ port: 0, reusePort: true })
  const b = await listen({ port: a.port, reusePort: true })
  assert.equal(b.port, a.port)
  await a.close()
  await b.close()
})
