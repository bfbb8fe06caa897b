import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, Response, ResponseHeaders, serve } from 'weft'

test('header names that exist on Object.prototype behave like any other name', () => {
  const h = new ResponseHeaders()
  assert.equal(h.has('constructor'), false)
  assert.equal(h.get('toString'), undefined)
  h.set('constructor', 'x')
  assert.equal(h.get('constructor'), 'x')
  assert.deepEqual([...h], [['constructor', 'x']])
})

test('__proto__ and invalid names or values are refused', () => {
  const h = new ResponseHeaders()
  assert.throws(() => h.set('__proto__', 'x'), /invalid header name/)
  assert.throws(() => h.set('bad name', 'x'), /invalid header name/)
  assert.throws(() => h.set('x-ok', 'a\r\nSet-Cookie: evil=1'), /invalid value/)
})

test('a Response reused across requests is not changed by sending it', async () => {
  const shared = new Response('same body', { headers: { 'x-shared': '1' } })
  const app = new App()
  app.get('/', () => shared)
  const server = await serve(app, { port: 0 })
  try {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(server.url)
      assert.equal(res.headers.get('content-length'), '9')
      assert.equal(await res.text(), 'same body')
    }
  } finally {
    await server.close()
  }
  assert.deepEqual([...shared.headers], [['x-shared', '1'], ['content-type', 'text/plain; charset=utf-8']])
})
