// curl against weft's HTTP/1.1 server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App, type Server } from 'weft'
import { withServer } from '../helpers/server.ts'
import { peer } from '../helpers/peers.ts'

const curl = peer('curl')

function run(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['--silent', '--show-error', '--max-time', '10', ...args], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`curl ${args.join(' ')} failed: ${error.message}\n${stderr}`))
      else resolve({ stdout, stderr })
    })
  })
}

function app(): App {
  const a = new App({ logErrors: false })
  a.get('/a', () => 'first')
  a.get('/b', () => ({ second: true }))
  a.get('/c', async function* () {
    yield 'th'
    yield 'ird'
  })
  a.get('/sized', () => 'x'.repeat(1234))
  a.post('/upload', async (req) => {
    const body = await req.bytes()
    return {
      length: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      te: req.header('transfer-encoding') ?? null,
      cl: req.header('content-length') ?? null,
    }
  })
  return a
}

/** Counts TCP connections the server accepts. */
function countConnections(server: Server): () => number {
  let n = 0
  server.node.on('connection', () => n++)
  return () => n
}

test('curl: several URLs reuse one keep-alive connection', curl, async () => {
  await withServer(app(), async (server) => {
    const connections = countConnections(server)
    const { stdout } = await run(['--http1.1', '-w', '|%{http_code}|%{num_connects}\n', `${server.url}/a`, `${server.url}/b`, `${server.url}/c`, `${server.url}/a`])
    assert.deepEqual(stdout.trim().split('\n'), ['first|200|1', '{"second":true}|200|0', 'third|200|0', 'first|200|0'])
    assert.equal(connections(), 1)
  })
})

test('curl -I sends HEAD and gets the GET headers without a body', curl, async () => {
  await withServer(app(), async (server) => {
    const { stdout } = await run(['-I', `${server.url}/sized`])
    const lines = stdout.trim().split('\r\n')
    assert.equal(lines[0], 'HTTP/1.1 200 OK')
    assert.ok(lines.includes('content-length: 1234'), stdout)
    assert.ok(lines.includes('content-type: text/plain; charset=utf-8'), stdout)
    const streamed = await run(['-I', `${server.url}/c`])
    assert.match(streamed.stdout, /^HTTP\/1\.1 200 OK\r\n/)
    const missing = await run(['-I', '-o', '/dev/null', '-w', '%{http_code}', `${server.url}/nope`])
    assert.equal(missing.stdout, '404')
  })
})

test('curl --data-binary uploads, with Content-Length and chunked', curl, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-curl-'))
  try {
    const data = Buffer.alloc(300_000)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff
    const file = join(dir, 'payload.bin')
    writeFileSync(file, data)
    const sha256 = createHash('sha256').update(data).digest('hex')
    await withServer(app(), async (server) => {
      const plain = JSON.parse((await run(['--data-binary', `@${file}`, '-H', 'Content-Type: application/octet-stream', `${server.url}/upload`])).stdout)
      assert.deepEqual(plain, { length: data.length, sha256, te: null, cl: String(data.length) })
      const chunked = JSON.parse(
        (await run(['--data-binary', `@${file}`, '-H', 'Transfer-Encoding: chunked', '-H', 'Content-Type: application/octet-stream', `${server.url}/upload`])).stdout,
      )
      assert.deepEqual(chunked, { length: data.length, sha256, te: 'chunked', cl: null })
      // An upload over the limit gets 413 from curl's point of view too.
      const big = join(dir, 'big.bin')
      writeFileSync(big, Buffer.alloc(2 * 1024 * 1024))
      const { stdout } = await run(['-o', '/dev/null', '-w', '%{http_code}', '--data-binary', `@${big}`, `${server.url}/upload`])
      assert.equal(stdout, '413')
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
