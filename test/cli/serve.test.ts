import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { killAll, rawGet, runCli, startCli, type RunningCli } from './helpers.ts'

// `weft serve` as a user runs it: bin/weft.mjs in a child process, on a temporary folder, with
// PORT 0 / --port 0 so that runs never collide; every check goes over a real socket.

const CSS = `body { color: teal; }\n`.repeat(400) // ~9 KB of text: worth compressing
let dir: string

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-cli-'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><h1>home</h1>')
  writeFileSync(join(dir, 'site.css'), CSS)
  writeFileSync(join(dir, '.env'), 'SECRET=1')
  mkdirSync(join(dir, 'files'))
  writeFileSync(join(dir, 'files', 'a & b.txt'), 'a')
  writeFileSync(join(dir, 'files', 'notes.md'), '# notes')
})

after(() => {
  killAll()
  rmSync(dir, { recursive: true, force: true })
})

const usage = /Usage: weft serve \[dir\] \[options\]/

describe('weft serve with the defaults', () => {
  let cli: RunningCli
  before(async () => {
    cli = await startCli(['serve', dir], { PORT: '0' })
  })
  after(async () => {
    await cli?.stop()
  })

  test('reads PORT, listens on 127.0.0.1 and prints the URL once', () => {
    assert.match(cli.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.notEqual(cli.url, 'http://127.0.0.1:0')
    assert.equal(cli.stdout().match(/listening on /g)?.length, 1)
  })

  test('serves index.html at / and files with their type and validators', async () => {
    const home = await rawGet(`${cli.url}/`)
    assert.equal(home.status, 200)
    assert.match(String(home.headers['content-type']), /^text\/html; charset=utf-8/)
    assert.equal(home.body.toString(), '<!doctype html><h1>home</h1>')
    const css = await rawGet(`${cli.url}/site.css`)
    assert.equal(css.status, 200)
    assert.match(String(css.headers['content-type']), /^text\/css/)
    assert.ok(css.headers.etag !== undefined)
    assert.equal(css.headers['cache-control'], 'public, max-age=0')
    const again = await rawGet(`${cli.url}/site.css`, { 'if-none-match': String(css.headers.etag) })
    assert.equal(again.status, 304)
  })

  test('answers a range with 206', async () => {
    const part = await rawGet(`${cli.url}/site.css`, { range: 'bytes=0-3' })
    assert.equal(part.status, 206)
    assert.equal(part.headers['content-range'], `bytes 0-3/${CSS.length}`)
    assert.equal(part.body.toString(), 'body')
  })

  test('compresses text for clients that accept it, by default', async () => {
    const res = await rawGet(`${cli.url}/site.css`, { 'accept-encoding': 'gzip' })
    assert.equal(res.headers['content-encoding'], 'gzip')
    assert.match(String(res.headers.vary), /accept-encoding/i)
    assert.equal(gunzipSync(res.body).toString(), CSS)
    const plain = await rawGet(`${cli.url}/site.css`)
    assert.equal(plain.headers['content-encoding'], undefined)
    assert.equal(plain.body.toString(), CSS)
  })

  test('refuses dotfiles, 404s missing files, and lists nothing without --listing', async () => {
    assert.equal((await rawGet(`${cli.url}/.env`)).status, 403)
    assert.equal((await rawGet(`${cli.url}/missing.txt`)).status, 404)
    assert.equal((await rawGet(`${cli.url}/files/`)).status, 404)
    assert.equal((await rawGet(`${cli.url}/some/app/route`)).status, 404)
  })

  test('sends no CORS headers without --cors', async () => {
    const res = await rawGet(`${cli.url}/site.css`, { origin: 'https://elsewhere.example' })
    assert.equal(res.headers['access-control-allow-origin'], undefined)
  })
})

describe('weft serve with options', () => {
  let cli: RunningCli
  before(async () => {
    // --port wins over PORT.
    cli = await startCli(['serve', dir, '--port', '0', '--listing', '--cors', '--spa', '--no-compress', '--max-age', '1h'], { PORT: '1' })
  })
  after(async () => {
    await cli?.stop()
  })

  test('--listing lists a directory without an index file', async () => {
    const res = await rawGet(`${cli.url}/files/`)
    assert.equal(res.status, 200)
    assert.match(String(res.headers['content-type']), /^text\/html/)
    const html = res.body.toString()
    assert.match(html, /notes\.md/)
    assert.match(html, /a &amp; b\.txt/)
  })

  test('--spa answers paths that match no file with index.html; missing assets stay 404', async () => {
    const deep = await rawGet(`${cli.url}/users/42`)
    assert.equal(deep.status, 200)
    assert.equal(deep.body.toString(), '<!doctype html><h1>home</h1>')
    assert.equal((await rawGet(`${cli.url}/assets/app.js`)).status, 404)
  })

  test('--cors allows any origin', async () => {
    const res = await rawGet(`${cli.url}/site.css`, { origin: 'https://elsewhere.example' })
    assert.equal(res.headers['access-control-allow-origin'], '*')
  })

  test('--no-compress sends the file as it is', async () => {
    const res = await rawGet(`${cli.url}/site.css`, { 'accept-encoding': 'gzip, br' })
    assert.equal(res.headers['content-encoding'], undefined)
    assert.equal(res.headers['content-length'], String(CSS.length))
    assert.equal(res.body.toString(), CSS)
  })

  test('--max-age sets Cache-Control', async () => {
    const res = await rawGet(`${cli.url}/site.css`)
    assert.equal(res.headers['cache-control'], 'public, max-age=3600')
  })
})

describe('weft serve stops gracefully', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} closes the server and exits 0`, async () => {
      const cli = await startCli(['serve', dir, '--port', '0'])
      const res = await rawGet(`${cli.url}/`)
      assert.equal(res.status, 200)
      const exit = await cli.stop(signal)
      assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${cli.stderr()}`)
      assert.match(cli.stderr(), new RegExp(`${signal}, closing`))
    })
  }

  test('a port in use exits 1 with a message', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    try {
      const port = (blocker.address() as AddressInfo).port
      const r = runCli(['serve', dir, '--port', String(port)])
      assert.equal(r.code, 1)
      assert.match(r.stderr, new RegExp(`port ${port} is in use`))
    } finally {
      blocker.close()
    }
  })
})

describe('weft command line', () => {
  const bad: Array<[string, string[], RegExp]> = [
    ['a port that is not a number', ['serve', dir, '--port', 'abc'], /--port: expected a port number/],
    ['a port out of range', ['serve', dir, '--port', '70000'], /--port: expected a port number/],
    ['a PORT that is not a number', ['serve', dir], /PORT: expected a port number/],
    ['an unknown option', ['serve', dir, '--bogus'], /Unknown option '--bogus'/],
    ['--port without its value', ['serve', dir, '--port'], /--port/],
    ['a bad --max-age', ['serve', dir, '--max-age', 'soon'], /--max-age/],
    ['two directories', ['serve', dir, dir], /at most one directory/],
  ]
  for (const [name, args, message] of bad) {
    test(`${name}: exit code 2 and the usage`, () => {
      const r = runCli(args, name.startsWith('a PORT') ? { PORT: 'eighty' } : {})
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, message)
      assert.match(r.stderr, usage)
      assert.equal(r.stdout, '')
    })
  }

  test('a folder that does not exist: exit code 2', () => {
    const r = runCli(['serve', join(dir, 'nope'), '--port', '0'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /no such directory/)
  })

  test('a file instead of a folder: exit code 2', () => {
    const r = runCli(['serve', join(dir, 'site.css'), '--port', '0'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /not a directory/)
  })

  test('an unknown command: exit code 2 and the main usage', () => {
    const r = runCli(['srve'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /unknown command "srve"/)
    assert.match(r.stderr, /Usage: weft <command>/)
  })

  test('--help prints the usage and exits 0', () => {
    const main = runCli(['--help'])
    assert.equal(main.code, 0)
    assert.match(main.stdout, /Usage: weft <command>/)
    const serve = runCli(['serve', '--help'])
    assert.equal(serve.code, 0)
    assert.match(serve.stdout, usage)
    for (const option of ['--port', '--host', '--spa', '--cors', '--no-compress', '--max-age', '--listing']) assert.ok(serve.stdout.includes(option), option)
  })

  test('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    for (const args of [['--version'], ['-v'], ['serve', '--version']]) {
      const r = runCli(args)
      assert.equal(r.code, 0)
      assert.equal(r.stdout.trim(), pkg.version)
    }
  })
})
