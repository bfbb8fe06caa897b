// Handler errors over a real socket: 500 without internals, HttpError statuses and headers,
// dev mode, the error log, and a server that keeps serving.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, HttpError, Response } from 'weft'
import { withServer } from '../helpers/server.ts'
import { RawClient, get } from '../helpers/raw.ts'

class Secret extends Error {
  constructor() {
    super('db password is hunter2')
  }
}

function failing(app: App): App {
  app.get('/', () => 'ok')
  app.get('/throw', () => {
    throw new Secret()
  })
  app.get('/reject', async () => {
    await Promise.resolve()
    throw new Secret()
  })
  app.get('/throw-string', () => {
    throw 'a string, not an Error'
  })
  app.get('/throw-null', () => {
    throw null
  })
  app.get('/401', () => {
    throw new HttpError(401, 'Who are you?', { headers: { 'www-authenticate': 'Basic realm="x"' } })
  })
  app.get('/429', async () => {
    throw new HttpError(429, 'Slow down', { headers: { 'retry-after': '7' } })
  })
  app.get('/404', () => {
    throw new HttpError(404)
  })
  app.get('/503', () => {
    throw new HttpError(503, 'replica db-3 is down')
  })
  app.get('/503-exposed', () => {
    throw new HttpError(503, 'Maintenance until noon', { expose: true })
  })
  app.get('/bad-header', () => {
    const res = new Response('x', { headers: { 'x-ok': '1' } })
    res.headers.set('x-bad', 'a\r\nb')
    return res
  })
  app.get('/bad-status', () => new Response('x', { status: 42 }))
  return app
}

test('errors in production mode', async (t) => {
  const logged: unknown[] = []
  const app = failing(new App({ logErrors: (error) => logged.push(error) }))
  await withServer(app, async (server) => {
    const port = server.port
    for (const path of ['/throw', '/reject']) {
      await t.test(`${path} → 500 without the message or stack`, async () => {
        const before = logged.length
        const r = await get(port, path)
        assert.equal(r.status, 500)
        assert.equal(r.body.toString(), 'Internal Server Error')
        assert.doesNotMatch(r.body.toString(), /hunter2|at |Secret/)
        assert.equal(r.header('content-type'), 'text/plain; charset=utf-8')
        assert.equal(logged.length, before + 1, 'the error went to the log')
        assert.ok(logged[logged.length - 1] instanceof Secret)
      })
    }
    await t.test('non-Error throws → 500', async () => {
      assert.equal((await get(port, '/throw-string')).status, 500)
      assert.equal((await get(port, '/throw-null')).status, 500)
    })
    await t.test('HttpError: status, message and headers', async () => {
      const r401 = await get(port, '/401')
      assert.equal(r401.status, 401)
      assert.equal(r401.body.toString(), 'Who are you?')
      assert.equal(r401.header('www-authenticate'), 'Basic realm="x"')
      const r429 = await get(port, '/429')
      assert.equal(r429.status, 429)
      assert.equal(r429.header('retry-after'), '7')
      const r404 = await get(port, '/404')
      assert.equal(r404.status, 404)
      assert.equal(r404.body.toString(), 'Not Found')
    })
    await t.test('5xx HttpError messages stay private unless exposed', async () => {
      const hidden = await get(port, '/503')
      assert.equal(hidden.status, 503)
      assert.equal(hidden.body.toString(), 'Service Unavailable')
      const shown = await get(port, '/503-exposed')
      assert.equal(shown.body.toString(), 'Maintenance until noon')
    })
    await t.test('HttpErrors are answers, not failures: nothing is logged', async () => {
      const before = logged.length
      await get(port, '/401')
      await get(port, '/503')
      assert.equal(logged.length, before)
    })
    await t.test('an invalid header value from a handler → 500, no header injection', async () => {
      const r = await get(port, '/bad-header')
      assert.equal(r.status, 500)
      assert.equal(r.header('b'), undefined)
    })
    await t.test('an invalid status → 500', async () => {
      assert.equal((await get(port, '/bad-status')).status, 500)
    })
    await t.test('the same keep-alive connection survives errors', async () => {
      const c = await RawClient.open(port)
      try {
        for (const [path, status] of [['/throw', 500], ['/', 200], ['/401', 401], ['/reject', 500], ['/', 200]] as const) {
          c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)
          assert.equal((await c.response()).status, status, path)
        }
      } finally {
        c.destroy()
      }
    })
  })
})

test('dev mode sends the message and stack', async () => {
  const app = failing(new App({ dev: true, logErrors: false }))
  await withServer(app, async (server) => {
    const r = await get(server.port, '/throw')
    assert.equal(r.status, 500)
    assert.match(r.body.toString(), /db password is hunter2/)
    assert.match(r.body.toString(), /\n\s+at /, 'a stack trace')
    const hidden = await get(server.port, '/503')
    assert.equal(hidden.body.toString(), 'replica db-3 is down')
  })
})

test('logErrors: false keeps the console quiet; the default logs', async () => {
  const original = console.error
  const lines: unknown[][] = []
  console.error = (...args: unknown[]) => void lines.push(args)
  try {
    await withServer(failing(new App({ logErrors: false })), async (server) => {
      assert.equal((await get(server.port, '/throw')).status, 500)
    })
    assert.equal(lines.length, 0)
    await withServer(failing(new App()), async (server) => {
      assert.equal((await get(server.port, '/reject')).status, 500)
    })
    assert.equal(lines.length, 1)
    assert.match(String(lines[0]![0]), /GET \/reject/)
  } finally {
    console.error = original
  }
})

test('a bare handler: 500 without details, dev and logErrors options', async () => {
  const logged: unknown[] = []
  const handler = (): string => {
    throw new Secret()
  }
  await withServer(
    handler,
    async (server) => {
      const r = await get(server.port, '/')
      assert.equal(r.status, 500)
      assert.equal(r.body.toString(), 'Internal Server Error')
      assert.equal(logged.length, 1)
    },
    { logErrors: (e) => logged.push(e) },
  )
  await withServer(
    handler,
    async (server) => {
      const r = await get(server.port, '/')
      assert.match(r.body.toString(), /hunter2/)
    },
    { dev: true, logErrors: false },
  )
})
