// curl against app.static(): ranges (-r), If-Modified-Since (-z), --compressed with a .gz sibling.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { gzipSync } from 'node:zlib'
import { App } from 'weft'
import { withServer } from '../helpers/server.ts'
import { peer } from '../helpers/peers.ts'
import { fixture, MTIME } from './helpers.ts'

const curl = peer('curl')
const TEXT = 'The quick brown fox jumps over the lazy dog.\n'.repeat(100)

function run(args: string[]): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['--silent', '--show-error', '--max-time', '10', ...args], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`curl ${args.join(' ')} failed: ${error.message}\n${stderr.toString()}`))
      else resolve({ stdout, stderr: stderr.toString() })
    })
  })
}

function setup(t: { after(fn: () => void): void }): App {
  const { dir, cleanup } = fixture({ 'fox.txt': TEXT, 'fox.txt.gz': gzipSync(TEXT) })
  t.after(cleanup)
  return new App().static('/', dir, { precompressed: true })
}

test('curl -r: a single range and several (multipart/byteranges)', curl, async (t) => {
  await withServer(setup(t), async (server) => {
    const single = await run(['-r', '4-8', '-w', '|%{http_code}', `${server.url}/fox.txt`])
    assert.equal(single.stdout.toString(), 'quick|206')
    const multi = await run(['-r', '0-2,-4', '-D', '-', `${server.url}/fox.txt`])
    const out = multi.stdout.toString('latin1')
    assert.match(out, /^HTTP\/1\.1 206 Partial Content\r\n/)
    const boundary = /content-type: multipart\/byteranges; boundary=(\S+)\r\n/.exec(out)?.[1]
    assert.ok(boundary !== undefined, out)
    assert.ok(out.includes(`content-range: bytes 0-2/${TEXT.length}\r\n\r\nThe\r\n--${boundary}`), out)
    assert.ok(out.includes(`content-range: bytes ${TEXT.length - 4}-${TEXT.length - 1}/${TEXT.length}\r\n\r\nog.\n\r\n--${boundary}--\r\n`), out)
    const past = await run(['-r', '99999-', '-o', '/dev/null', '-w', '%{http_code}', `${server.url}/fox.txt`])
    assert.equal(past.stdout.toString(), '416')
  })
})

test('curl -z: If-Modified-Since gives 304 when unchanged, the file when changed since', curl, async (t) => {
  await withServer(setup(t), async (server) => {
    const after = new Date(MTIME.getTime() + 86_400_000).toUTCString()
    const before = new Date(MTIME.getTime() - 86_400_000).toUTCString()
    const unchanged = await run(['-z', after, '-w', '%{http_code}', `${server.url}/fox.txt`])
    assert.equal(unchanged.stdout.toString(), '304')
    const changed = await run(['-z', before, `${server.url}/fox.txt`])
    assert.equal(changed.stdout.toString(), TEXT)
  })
})

test('curl --compressed gets the .gz sibling and decodes it; without it, the plain file', curl, async (t) => {
  await withServer(setup(t), async (server) => {
    const w = '\n%header{content-encoding}|%header{vary}|%header{content-length}'
    const compressed = (await run(['--compressed', '-w', w, `${server.url}/fox.txt`])).stdout.toString()
    assert.equal(compressed, `${TEXT}\ngzip|Accept-Encoding|${gzipSync(TEXT).length}`)
    const plain = (await run(['-w', w, `${server.url}/fox.txt`])).stdout.toString()
    assert.equal(plain, `${TEXT}\n|Accept-Encoding|${TEXT.length}`)
  })
})
