// undici (the client behind Node's fetch) against weft's HTTP/1.1 server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { Agent, Pool, request } from 'undici'
import { App, type Server } from 'weft'
import { withServer } from '../helpers/server.ts'
import { within } from '../helpers/wait.ts'

function countConnections(server: Server): () => number {
  let n = 0
  server.node.on('connection', () => n++)
  return () => n
}

function app(): App {
  const a = new App({ logErrors: false })
  a.get('/hello', () => 'Hello!')
  a.get('/json', (req) => ({ q: req.query.get('q'), custom: req.header('x-custom') ?? null }))
  a.get('/users/:id', (req) => ({ id: req.params.id }))
  a.post('/echo', async (req) => ({ type: req.header('content-type') ?? null, body: await req.text() }))
  a.post('/json', async (req) => ({ parsed: await req.json() }))
  a.post('/form', async (req) => Object.fromEntries(await req.form()))
  a.post('/count', async (req) => {
    let size = 0
    for await (const chunk of req.chunks()) size += chunk.byteLength
    return { size, chunked: req.header('transfer-encoding') === 'chunked' }
  })
  return a
}

test('undici.request: status, headers, body', async () => {
  await withServer(app(), async (server) => {
    const agent = new Agent()
    try {
      const r = await request(`${server.url}/hello`, { dispatcher: agent })
      assert.equal(r.statusCode, 200)
      assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8')
      assert.equal(r.headers['content-length'], '6')
      assert.equal(await r.body.text(), 'Hello!')
      const j = await request(`${server.url}/json?q=a%20b`, { dispatcher: agent, headers: { 'x-custom': 'yes' } })
      assert.deepEqual(await j.body.json(), { q: 'a b', custom: 'yes' })
      const p = await request(`${server.url}/users/42`, { dispatcher: agent })
      assert.deepEqual(await p.body.json(), { id: '42' })
      const missing = await request(`${server.url}/nope`, { dispatcher: agent })
      assert.equal(missing.statusCode, 404)
      await missing.body.dump()
      const head = await request(`${server.url}/hello`, { method: 'HEAD', dispatcher: agent })
      assert.equal(head.statusCode, 200)
      assert.equal(head.headers['content-length'], '6')
      assert.equal(await head.body.text(), '')
    } finally {
      await agent.close()
    }
  })
})

test('undici keep-alive pool: many requests over few connections', async () => {
  await withServer(app(), async (server) => {
    const connections = countConnections(server)
    const single = new Pool(server.url, { connections: 1 })
    try {
      for (let i = 0; i < 20; i++) {
        const r = await single.request({ path: `/users/${i}`, method: 'GET' })
        assert.deepEqual(await r.body.json(), { id: String(i) })
      }
      assert.equal(connections(), 1, 'sequential requests share one connection')
    } finally {
      await single.close()
    }
    const before = connections()
    const pool = new Pool(server.url, { connections: 2, pipelining: 1 })
    try {
      const parallel = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const r = await pool.request({ path: `/users/${i}`, method: 'GET' })
          return ((await r.body.json()) as { id: string }).id
        }),
      )
      assert.deepEqual(parallel, Array.from({ length: 40 }, (_, i) => String(i)))
      assert.ok(connections() - before <= 2, `${connections() - before} connections for a pool of 2`)
    } finally {
      await pool.close()
    }
  })
})

test('undici reads a streamed response incrementally', async () => {
  // The server sends the next chunk only after the client has received the previous one, so
  // the exchange can complete only if each chunk is delivered as it is produced.
  const acks: Array<() => void> = []
  let waiting: (() => void) | null = null
  const nextAck = (): Promise<void> =>
    new Promise((resolve) => {
      const ready = acks.shift()
      if (ready !== undefined) {
        ready()
        resolve()
      } else waiting = resolve
    })
  const ack = (): void => {
    if (waiting !== null) {
      const w = waiting
      waiting = null
      w()
    } else acks.push(() => {})
  }
  const a = new App({ logErrors: false })
  a.get('/ticks', async function* () {
    for (let i = 0; i < 5; i++) {
      yield `tick ${i}\n`
      if (i < 4) await within(nextAck(), 3000, `the client to read tick ${i}`)
    }
  })
  await withServer(a, async (server) => {
    const agent = new Agent()
    try {
      const r = await request(`${server.url}/ticks`, { dispatcher: agent })
      assert.equal(r.headers['transfer-encoding'], 'chunked')
      const seen: string[] = []
      let buffered = ''
      for await (const chunk of r.body) {
        buffered += chunk.toString()
        let nl
        while ((nl = buffered.indexOf('\n')) !== -1) {
          seen.push(buffered.slice(0, nl))
          buffered = buffered.slice(nl + 1)
          ack()
        }
      }
      assert.deepEqual(seen, ['tick 0', 'tick 1', 'tick 2', 'tick 3', 'tick 4'])
    } finally {
      await agent.close()
    }
  })
})

test('undici POST bodies: string, bytes, JSON, form, streamed (chunked)', async () => {
  await withServer(app(), async (server) => {
    const pool = new Pool(server.url, { connections: 1 })
    try {
      const s = await pool.request({ path: '/echo', method: 'POST', body: 'plain text', headers: { 'content-type': 'text/plain' } })
      assert.deepEqual(await s.body.json(), { type: 'text/plain', body: 'plain text' })
      const b = await pool.request({ path: '/echo', method: 'POST', body: Buffer.from('bytes é') })
      assert.deepEqual(await b.body.json(), { type: null, body: 'bytes é' })
      const j = await pool.request({ path: '/json', method: 'POST', body: JSON.stringify({ list: [1, 2] }), headers: { 'content-type': 'application/json' } })
      assert.deepEqual(await j.body.json(), { parsed: { list: [1, 2] } })
      const bad = await pool.request({ path: '/json', method: 'POST', body: '{oops', headers: { 'content-type': 'application/json' } })
      assert.equal(bad.statusCode, 400)
      assert.match(await bad.body.text(), /Invalid JSON body/)
      const f = await pool.request({
        path: '/form',
        method: 'POST',
        body: new URLSearchParams({ name: 'weft', tags: 'a&b' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
      assert.deepEqual(await f.body.json(), { name: 'weft', tags: 'a&b' })
      const streamed = await pool.request({
        path: '/count',
        method: 'POST',
        body: Readable.from(
          (async function* () {
            for (let i = 0; i < 50; i++) yield Buffer.alloc(4096, i)
          })(),
        ),
      })
      assert.deepEqual(await streamed.body.json(), { size: 50 * 4096, chunked: true })
      const tooBig = await pool.request({
        path: '/count',
        method: 'POST',
        body: Readable.from(
          (async function* () {
            for (let i = 0; i < 400; i++) yield Buffer.alloc(4096, i)
          })(),
        ),
      })
      assert.equal(tooBig.statusCode, 413)
      await tooBig.body.dump()
      // The pool recovers from the closed connection.
      const after = await pool.request({ path: '/echo', method: 'POST', body: 'again' })
      assert.deepEqual(await after.body.json(), { type: null, body: 'again' })
    } finally {
      await pool.close()
    }
  })
})
