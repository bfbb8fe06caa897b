// Directories (index, redirect, listing), SPA fallback, dotfiles, fallthrough, mounting.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, serveStatic, text } from 'weft'
import { call, fixture } from './helpers.ts'

const FILES = {
  'index.html': '<h1>home</h1>',
  'docs/index.html': '<h1>docs</h1>',
  'docs/guide.md': '# guide',
  'empty/.keep': '',
  'assets/app.js': 'app()',
  '.env': 'SECRET=1',
  '.git/config': '[core]',
  '.well-known/security.txt': 'Contact: x',
  'spa.html': '<div id=root></div>',
  '<b>&"x".txt': 'odd name',
}

test('a directory serves its index.html; without the slash it redirects to it (query kept)', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const app = new App().static('/', dir)
  assert.equal((await call(app, '/')).body.toString(), '<h1>home</h1>')
  assert.equal((await call(app, '/docs/')).body.toString(), '<h1>docs</h1>')
  assert.equal((await call(app, '/docs/')).headers['content-type'], 'text/html; charset=utf-8')
  const redirect = await call(app, '/docs?x=1')
  assert.equal(redirect.status, 301)
  assert.equal(redirect.headers.location, '/docs/?x=1')
  // A path starting with // must not become a protocol-relative Location (another host).
  assert.equal((await call(app, '//docs')).headers.location, '/docs/')
  assert.equal((await call(app, '/empty/')).status, 404, 'no index and no listing')
  assert.equal((await call(app, '/docs/guide.md/')).status, 404, 'a file with a trailing slash')
  const custom = new App().static('/', dir, { index: ['missing.html', 'guide.md'] })
  assert.equal((await call(custom, '/docs/')).body.toString(), '# guide')
  const none = new App().static('/', dir, { index: false })
  assert.equal((await call(none, '/docs/')).status, 404)
  assert.equal((await call(none, '/docs')).status, 404)
})

test('listing: an HTML index of the directory, names escaped, dotfiles hidden', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const app = new App().static('/files', dir, { listing: true, index: false })
  const res = await call(app, '/files/')
  assert.equal(res.status, 200)
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8')
  const page = res.body.toString()
  assert.ok(page.includes('<title>Index of /files/</title>'))
  assert.ok(page.includes('<a href="./docs/">docs/</a>'), page)
  assert.ok(page.includes('<a href="./index.html">index.html</a>'))
  assert.ok(page.includes('<a href="./%3Cb%3E%26%22x%22.txt">&lt;b&gt;&amp;&quot;x&quot;.txt</a>'), page)
  assert.ok(!page.includes('<b>'), 'no raw markup from file names')
  assert.ok(!page.includes('.env') && !page.includes('.git'), 'dotfiles are not listed')
  assert.ok(page.indexOf('docs/') < page.indexOf('index.html'), 'directories first')
  // The link works.
  assert.equal((await call(app, '/files/%3Cb%3E%26%22x%22.txt')).body.toString(), 'odd name')
  const head = await call(app, '/files/docs/', {}, 'HEAD')
  assert.equal(head.status, 200)
  assert.equal(head.body.length, 0)
})

test('spa: unknown extension-less paths get the fallback document with no-cache; real misses stay 404', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const app = new App().static('/', dir, { spa: 'spa.html', maxAge: '1y', immutable: true })
  for (const path of ['/dashboard', '/users/42/edit', '/docs/missing/']) {
    const res = await call(app, path)
    assert.equal(res.status, 200, path)
    assert.equal(res.body.toString(), '<div id=root></div>')
    assert.equal(res.headers['cache-control'], 'no-cache')
  }
  assert.equal((await call(app, '/assets/missing.js')).status, 404, 'a missing asset is not answered with HTML')
  assert.equal((await call(app, '/assets/app.js')).headers['cache-control'], 'public, max-age=31536000, immutable')
  assert.equal((await call(app, '/.env')).status, 403, 'the fallback does not cover refusals')
  assert.equal((await call(app, '/dashboard', {}, 'POST')).status, 404)
  const defaultSpa = new App().static('/', dir, { spa: true })
  assert.equal((await call(defaultSpa, '/anything')).body.toString(), '<h1>home</h1>')
})

test("dotfiles: 'deny' (default) answers 403 without looking; 'ignore' is 404; 'allow' serves", async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const deny = new App().static('/', dir)
  for (const path of ['/.env', '/.git/config', '/.git/', '/.nothing-here', '/docs/.hidden', '/.well-known/security.txt']) {
    assert.equal((await call(deny, path)).status, 403, path)
  }
  const ignore = new App().static('/', dir, { dotfiles: 'ignore' })
  assert.equal((await call(ignore, '/.env')).status, 404)
  assert.equal((await call(ignore, '/.git/config')).status, 404)
  const allow = new App().static('/', dir, { dotfiles: 'allow' })
  assert.equal((await call(allow, '/.env')).body.toString(), 'SECRET=1')
  // A common setup: allow only .well-known, deny the rest.
  const wk = new App().static('/.well-known', `${dir}/.well-known`).static('/', dir)
  assert.equal((await call(wk, '/.well-known/security.txt')).body.toString(), 'Contact: x')
  assert.equal((await call(wk, '/.env')).status, 403)
})

test('routes come first; a missing file goes to notFound; fallthrough: false answers 404 itself', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const app = new App()
  app.static('/', dir)
  app.get('/index.html', () => 'from a route')
  app.get('/api/users/:id', (req) => ({ id: req.params.id }))
  app.notFound(() => text('custom 404', { status: 404 }))
  assert.equal((await call(app, '/index.html')).body.toString(), 'from a route')
  assert.equal((await call(app, '/api/users/7')).body.toString(), '{"id":"7"}')
  assert.equal((await call(app, '/docs/guide.md')).body.toString(), '# guide')
  assert.equal((await call(app, '/nope.txt')).body.toString(), 'custom 404')
  const strict = new App()
  strict.static('/', dir, { fallthrough: false })
  strict.notFound(() => text('custom 404', { status: 404 }))
  const res = await call(strict, '/nope.txt')
  assert.equal(res.status, 404)
  assert.equal(res.body.toString(), 'Not Found')
})

test('prefixes: several directories, the longest prefix wins, sub-apps serve under their mount', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const app = new App()
  app.static('/static', dir)
  app.static('/static/js', `${dir}/assets`)
  assert.equal((await call(app, '/static/js/app.js')).body.toString(), 'app()')
  assert.equal((await call(app, '/static/docs/guide.md')).body.toString(), '# guide')
  assert.equal((await call(app, '/staticdocs/guide.md')).status, 404, '/static does not cover /staticdocs')
  assert.equal((await call(app, '/static')).headers.location, '/static/')
  const blog = new App().static('/files', `${dir}/docs`)
  const root = new App().route('/blog', blog)
  assert.equal((await call(root, '/blog/files/guide.md')).body.toString(), '# guide')
  assert.equal((await call(root, '/files/guide.md')).status, 404)
  // Middleware of the app applies to static answers too.
  const logged: string[] = []
  const withMw = new App()
  withMw.use((req, next) => {
    logged.push(req.path)
    return next()
  })
  withMw.static('/', dir)
  assert.equal((await call(withMw, '/docs/guide.md')).status, 200)
  assert.deepEqual(logged, ['/docs/guide.md'])
})

test('serveStatic works as middleware (with prefix) and as a bare handler', async (t) => {
  const { dir, cleanup } = fixture(FILES)
  t.after(cleanup)
  const app = new App()
  app.use(serveStatic(dir, { prefix: '/pub' }))
  app.get('/pub/*', () => 'route after static')
  assert.equal((await call(app, '/pub/docs/guide.md')).body.toString(), '# guide')
  assert.equal((await call(app, '/pub/missing')).body.toString(), 'route after static')
  const bare = serveStatic(dir)
  const res = await bare(new (await import('weft')).Request('GET', '/missing', {}, { remoteAddress: '', encrypted: false, httpVersion: '1.1', body: () => null, signal: () => new AbortController().signal }))
  assert.equal(res.status, 404)
})
