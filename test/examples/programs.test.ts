import { test } from 'node:test'
import assert from 'node:assert/strict'
import { get, startExample } from './spawn.ts'

// Each example is a program: it reads PORT, prints `listening on URL` once, and serves there.

test('examples/hello_server.ts answers GET / with Hello World!', { timeout: 60_000 }, async () => {
  const example = await startExample('hello_server')
  try {
    assert.ok(example.port > 0)
    const res = await get(`${example.url}/`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
    assert.equal(await res.text(), 'Hello World!')
    assert.equal(example.stdout().match(/listening on /g)?.length, 1)
  } finally {
    await example.stop()
  }
})

test('examples/demo.ts answers GET /hello and its other routes; SIGTERM closes it', { timeout: 60_000 }, async () => {
  const example = await startExample('demo')
  try {
    const hello = await get(`${example.url}/hello`)
    assert.equal(hello.status, 200)
    assert.equal(await hello.text(), 'Hello World!')
    const user = await get(`${example.url}/users/42`)
    assert.deepEqual(await user.json(), { id: '42' })
    const echo = await get(`${example.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' })
    assert.equal(echo.status, 201)
    assert.deepEqual(await echo.json(), { a: [1, 2] })
    const teapot = await get(`${example.url}/teapot`)
    assert.equal(teapot.status, 418)
    await teapot.arrayBuffer()
    assert.equal(example.stdout().match(/listening on /g)?.length, 1)
  } finally {
    const exit = await example.stop()
    assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${example.stderr()}`)
  }
})
