import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, HttpError, text } from 'weft'

test('a handler returning a non-native thenable is adopted', async () => {
  const app = new App()
  // A bare thenable whose then() returns nothing, as some libraries produce.
  app.get('/t', () => ({ then: (resolve: (v: unknown) => void) => void resolve('from thenable') }) as unknown as Promise<string>)
  const res = await app.request('/t')
  assert.equal(res.status, 200)
  assert.equal(await res.text(), 'from thenable')
})

test('a custom onError keeps the headers an HttpError asked for', async () => {
  const app = new App()
  app.onError((err) => text('denied', { status: err instanceof HttpError ? err.status : 500 }))
  app.get('/secret', () => {
    throw new HttpError(401, 'no', { headers: { 'www-authenticate': 'Basic realm="x"' } })
  })
  const res = await app.request('/secret')
  assert.equal(res.status, 401)
  assert.equal(res.headers.get('www-authenticate'), 'Basic realm="x"')
  assert.equal(await res.text(), 'denied')
})

test('next() called twice is an error answered with 500', async () => {
  const app = new App({ logErrors: false })
  app.use(async (_req, next) => {
    await next()
    return next()
  })
  app.get('/', () => 'ok')
  const res = await app.request('/')
  assert.equal(res.status, 500)
})
