// Chromium loads a page and its assets from serve({ tls, http2: true }) over HTTP/2: the
// document, its stylesheet and script, and a fetch() from the script, all on one h2 connection.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { App, html, serve, type Server } from 'weft'
import { peer } from '../helpers/peers.ts'
import { TLS } from './helpers.ts'

const CHROMIUM = '/usr/bin/chromium'
const chromiumPeer = peer(CHROMIUM)

interface Entry {
  name: string
  nextHopProtocol: string
}
declare const performance: { getEntries(): Entry[] }
declare const document: { getElementById(id: string): { textContent: string | null } | null }

describe('Chromium over HTTPS with HTTP/2', { skip: chromiumPeer.skip, timeout: 120_000 }, () => {
  let server: Server
  let context: BrowserContext
  let page: Page
  let profile: string
  const seen: Array<{ path: string; version: string }> = []

  before(async () => {
    const app = new App({ logErrors: false })
    app.use((req, next) => {
      seen.push({ path: req.path, version: req.transport.httpVersion })
      return next()
    })
    app.get('/', (req) => {
      req.earlyHints({ link: '</style.css>; rel=preload; as=style' })
      return html('<!doctype html><title>h2</title><link rel="stylesheet" href="/style.css"><p id="out">…</p><script src="/app.js"></script>')
    })
    app.get('/style.css', () => new Response('p { color: teal }', { headers: { 'content-type': 'text/css' } }))
    app.get('/app.js', () => new Response("fetch('/data').then((r) => r.json()).then((d) => { document.getElementById('out').textContent = d.protocol })", { headers: { 'content-type': 'text/javascript' } }))
    app.get('/data', (req) => ({ protocol: `${req.transport.httpVersion} ${req.tls?.alpn}` }))
    server = await serve(app, { port: 0, tls: TLS, http2: true })
    profile = mkdtempSync(join(tmpdir(), 'weft-chromium-h2-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      ignoreHTTPSErrors: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--ignore-certificate-errors'],
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.setDefaultTimeout(15_000)
  })

  after(async () => {
    await context?.close().catch(() => undefined)
    await server?.close({ timeout: 1_000 })
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
  })

  test('the page, its stylesheet, script and fetch all come over h2', async () => {
    const res = await page.goto(`https://localhost:${server.port}/`, { waitUntil: 'load' })
    assert.equal(res?.status(), 200)
    await page.waitForFunction(() => document.getElementById('out')?.textContent !== '…', null, { timeout: 15_000 })
    assert.equal(await page.locator('#out').textContent(), '2.0 h2')
    const entries = await page.evaluate(() => performance.getEntries().filter((e) => 'nextHopProtocol' in e).map((e) => ({ name: e.name, nextHopProtocol: e.nextHopProtocol })))
    assert.equal(entries[0]?.nextHopProtocol, 'h2')
    for (const e of entries) assert.equal(e.nextHopProtocol, 'h2', e.name)
    for (const path of ['/', '/style.css', '/app.js', '/data']) {
      assert.ok(
        seen.some((s) => s.path === path && s.version === '2.0'),
        `${path} was served over HTTP/2: ${JSON.stringify(seen)}`,
      )
    }
  })
})
