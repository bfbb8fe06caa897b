// req.cookies and res.cookie() / clearCookie(), over a real socket.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, Response, parseCookies, serializeCookie } from 'weft'
import { withServer } from '../helpers/server.ts'
import { get } from '../helpers/raw.ts'

test('req.cookies parses the Cookie header', async () => {
  const app = new App({ logErrors: false })
  app.get('/', (req) => ({ ...req.cookies }))
  await withServer(app, async (server) => {
    const r = await get(server.port, '/', 'Cookie: a=1; b="quoted"; c=%20x%3B; a=2; junk; =noname; d=%ZZ;  e = spaced \r\n')
    assert.deepEqual(JSON.parse(r.body.toString()), { a: '1', b: 'quoted', c: ' x;', d: '%ZZ', e: 'spaced' })
    const none = await get(server.port, '/')
    assert.deepEqual(JSON.parse(none.body.toString()), {})
  })
})

test('parseCookies: no prototype pollution, first value wins', () => {
  const c = parseCookies('__proto__=x; constructor=y; k=1; k=2')
  assert.equal(Object.getPrototypeOf(c), null)
  assert.equal(c['__proto__'], 'x')
  assert.equal(c['constructor'], 'y')
  assert.equal(c['k'], '1')
  assert.deepEqual({ ...parseCookies('') }, {})
  assert.deepEqual({ ...parseCookies(undefined) }, {})
})

test('res.cookie() writes every attribute', async () => {
  const expires = new Date(Date.UTC(2030, 0, 2, 3, 4, 5))
  const app = new App({ logErrors: false })
  app.get('/all', () =>
    new Response('ok')
      .cookie('session', 'abc', {
        domain: 'example.com',
        path: '/app',
        expires,
        maxAge: 3600.7,
        secure: true,
        httpOnly: true,
        sameSite: 'none',
        partitioned: true,
        priority: 'high',
      })
      .cookie('plain', 'v')
      .cookie('encoded', 'a b;c,"d"\\é'),
  )
  app.get('/samesite', () => new Response(null).cookie('s', '1', { sameSite: 'Strict' }).cookie('l', '1', { sameSite: 'lax', priority: 'Low' }))
  app.get('/clear', () => new Response(null).clearCookie('session', { path: '/app', domain: 'example.com' }))
  await withServer(app, async (server) => {
    const r = await get(server.port, '/all')
    assert.equal(r.status, 200)
    const cookies = r.headers['set-cookie']!
    assert.equal(cookies.length, 3, 'each cookie is its own Set-Cookie header')
    const attrs = cookies[0]!.split('; ')
    assert.equal(attrs[0], 'session=abc')
    assert.deepEqual(
      new Set(attrs.slice(1)),
      new Set([
        'Domain=example.com',
        'Path=/app',
        'Expires=Wed, 02 Jan 2030 03:04:05 GMT',
        'Max-Age=3600',
        'Secure',
        'HttpOnly',
        'SameSite=None',
        'Partitioned',
        'Priority=High',
      ]),
    )
    assert.equal(cookies[1], 'plain=v')
    // The value is percent-encoded where the cookie grammar does not allow it, and a client
    // sending it back gets the original string from req.cookies.
    const encoded = cookies[2]!.slice('encoded='.length)
    assert.match(encoded, /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/)
    assert.equal(parseCookies(`encoded=${encoded}`)['encoded'], 'a b;c,"d"\\é')

    const s = await get(server.port, '/samesite')
    assert.deepEqual(s.headers['set-cookie'], ['s=1; SameSite=Strict', 'l=1; Priority=Low; SameSite=Lax'])

    const c = await get(server.port, '/clear')
    const cleared = c.headers['set-cookie']![0]!
    assert.match(cleared, /^session=; /)
    assert.match(cleared, /Max-Age=0/)
    assert.match(cleared, /Expires=Thu, 01 Jan 1970 00:00:00 GMT/)
    assert.match(cleared, /Path=\/app/)
    assert.match(cleared, /Domain=example\.com/)
  })
})

test('invalid cookie names, attribute values and options are rejected', async () => {
  for (const name of ['', 'a b', 'a;b', 'a=b', 'a,b', 'é', 'a\r\nX-Injected: 1', '"q"', 'a\u0000']) {
    assert.throws(() => serializeCookie(name, 'v'), TypeError, `name ${JSON.stringify(name)}`)
  }
  assert.throws(() => serializeCookie('a', 'v', { domain: 'x.com; Secure' }), TypeError)
  assert.throws(() => serializeCookie('a', 'v', { path: '/\r\nX: 1' }), TypeError)
  assert.throws(() => serializeCookie('a', 'v', { path: '/\u0000' }), TypeError)
  assert.throws(() => serializeCookie('a', 'v', { maxAge: Number.NaN }), TypeError)
  assert.throws(() => serializeCookie('a', 'v', { maxAge: Infinity }), TypeError)
  assert.throws(() => serializeCookie('a', 'v', { expires: new Date('nope') }), TypeError)
  assert.throws(() => serializeCookie('a', 'v', { sameSite: 'None' }), TypeError, 'SameSite=None needs Secure')
  assert.throws(() => serializeCookie('a', '\ud800'), TypeError, 'a lone surrogate cannot be encoded')
  // Values never leak a header break, whatever they hold.
  assert.equal(serializeCookie('a', 'x\r\nSet-Cookie: evil=1'), 'a=x%0D%0ASet-Cookie%3A%20evil%3D1')

  // On the wire: a handler setting a bad cookie gets a 500, and the server keeps serving.
  const app = new App({ logErrors: false })
  app.get('/bad', () => new Response('x').cookie('bad name', 'v'))
  app.get('/ok', () => 'ok')
  await withServer(app, async (server) => {
    const r = await get(server.port, '/bad')
    assert.equal(r.status, 500)
    assert.equal(r.headers['set-cookie'], undefined)
    assert.equal((await get(server.port, '/ok')).body.toString(), 'ok')
  })
})
