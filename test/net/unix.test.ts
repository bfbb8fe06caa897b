// Unix domain sockets: the same Listener/Connection API over a path in a temp dir.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listen, connect, isNetError } from 'weft/net'
import { text, within } from './helpers.ts'

const skip = process.platform === 'win32' ? 'Unix domain socket paths are POSIX-only (Windows uses named pipes)' : false

test('Unix socket: echo, readExactly, half-close, addresses', { skip, timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-net-'))
  const path = join(dir, 'echo.sock')
  try {
    const listener = await listen({ path })
    assert.equal(listener.path, path)
    assert.equal(listener.address, path)
    assert.equal(listener.port, 0)
    assert.equal(listener.url, `unix:${path}`)
    const loop = (async () => {
      for await (const conn of listener) {
        void (async () => {
          for await (const chunk of conn) await conn.write(chunk)
          await conn.end()
        })()
      }
    })()
    const conn = await connect({ path })
    assert.equal(conn.remotePort, undefined)
    await conn.write('0123456789')
    assert.equal(text(await conn.readExactly(4)), '0123')
    await conn.end()
    const rest: Uint8Array[] = []
    for await (const chunk of conn) rest.push(chunk)
    assert.equal(Buffer.concat(rest).toString(), '456789')
    await conn.close()
    await listener.close()
    await within(loop, 2000, 'the accept loop to end')
    assert.equal(existsSync(path), false, 'closing the listener removes the socket file')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('Unix socket: a missing path is NOT_FOUND, a taken one ADDRESS_IN_USE', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-net-'))
  try {
    await assert.rejects(connect({ path: join(dir, 'nobody.sock') }), (e: unknown) => isNetError(e, 'NOT_FOUND') && e.syscallCode === 'ENOENT')
    const path = join(dir, 'taken.sock')
    const listener = await listen({ path })
    await assert.rejects(listen({ path }), (e: unknown) => isNetError(e, 'ADDRESS_IN_USE'))
    await listener.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
