import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { serve, type Server } from 'weft'
import { createStreamingApp } from '../../examples/streaming_server.ts'
import { peer } from '../helpers/peers.ts'

// Debian's Chromium, driven by playwright-core, against the streaming example: the page's
// EventSource receives the clock, and its <video> plays and seeks a file served with ranges.

const CHROMIUM = '/usr/bin/chromium'
const chromiumPeer = peer(CHROMIUM)

// The page's globals, typed just enough for the functions that run in the browser: the project
// compiles without the DOM library, so that server code cannot use browser globals by mistake.
interface PageElement {
  textContent: string | null
}
interface PageVideo extends PageElement {
  src: string
  currentTime: number
  readonly readyState: number
  readonly duration: number
  readonly error: { message: string } | null
  play(): Promise<void>
  addEventListener(type: string, listener: () => void, options?: { once?: boolean }): void
}
declare const document: {
  getElementById(id: 'video'): PageVideo
  getElementById(id: string): PageElement | null
}

interface MediaAnswer {
  range: string | undefined
  status: number
}

describe('Chromium and the streaming example', { skip: chromiumPeer.skip, timeout: 120_000 }, () => {
  let server: Server
  let context: BrowserContext
  let page: Page
  let profile: string
  const media: MediaAnswer[] = []
  const pageErrors: string[] = []

  before(async () => {
    // The example's app, with a middleware that notes every answer to a video request: what
    // the browser asked for (its Range header) and the status it got.
    const app = createStreamingApp().use(async (req, next) => {
      const res = await next()
      if (req.path.startsWith('/media/')) media.push({ range: req.header('range'), status: res.status })
      return res
    })
    server = await serve(app, { port: 0 })

    profile = mkdtempSync(join(tmpdir(), 'weft-chromium-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.setDefaultTimeout(15_000)
    page.on('pageerror', (error) => pageErrors.push(error.message))
  })

  after(async () => {
    await context?.close().catch(() => undefined)
    await server?.close({ timeout: 1_000 })
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
  })

  test('loads the page', async () => {
    const res = await page.goto(server.url, { waitUntil: 'load' })
    assert.equal(res?.status(), 200)
    assert.equal(await page.title(), 'weft · streaming')
  })

  test('receives server-sent events from the clock', async () => {
    // The page counts `tick` events into #events and shows the last time in #clock.
    await page.waitForFunction(() => Number(document.getElementById('events')?.textContent) >= 2, null, { timeout: 15_000 })
    const time = await page.locator('#clock').textContent()
    assert.ok(!Number.isNaN(Date.parse(time ?? '')), `#clock shows a time: ${time}`)
  })

  test('plays the video', async () => {
    const state = await page.evaluate(async () => {
      const video = document.getElementById('video')
      // Bounded: page.evaluate itself waits as long as the promise does.
      await Promise.race([video.play(), new Promise((_, reject) => setTimeout(() => reject(new Error('play() did not settle within 10 s')), 10_000))])
      return { readyState: video.readyState, duration: video.duration, error: video.error?.message ?? null }
    })
    assert.equal(state.error, null)
    assert.ok(state.readyState >= 2, `readyState ${state.readyState}`)
    assert.ok(Math.abs(state.duration - 20) < 0.5, `duration ${state.duration}`)
    await page.waitForFunction(() => document.getElementById('video').currentTime > 0.5, null, { timeout: 15_000 })
  })

  test('seeks the video, over range requests', async () => {
    const seeked = await page.evaluate(async () => {
      const video = document.getElementById('video')
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no seeked event within 10 s')), 10_000)
        video.addEventListener(
          'seeked',
          () => {
            clearTimeout(timer)
            resolve()
          },
          { once: true },
        )
        video.currentTime = 15
      })
      return { currentTime: video.currentTime, error: video.error?.message ?? null }
    })
    assert.equal(seeked.error, null)
    assert.ok(seeked.currentTime >= 14.5 && seeked.currentTime <= 16, `currentTime after the seek: ${seeked.currentTime}`)
    // It goes on playing from there.
    await page.waitForFunction(() => document.getElementById('video').currentTime > 15.3, null, { timeout: 15_000 })

    // Chromium fetches media with Range requests; the server answered them with 206.
    assert.ok(media.length > 0, 'the browser requested the video')
    assert.ok(
      media.some((m) => m.range !== undefined && m.status === 206),
      `a Range request answered 206: ${JSON.stringify(media)}`,
    )
    for (const m of media) assert.ok(m.status === 200 || m.status === 206 || m.status === 304, JSON.stringify(m))
  })

  test('a seek past what has loaded asks for the bytes from there (206 at an offset)', async () => {
    // The clip is small enough that the first response brings all of it, so the seek above is
    // served from memory. Throttled to 64 KB/s, the download is still near the start when we
    // seek to 15 s; Chromium then asks for the bytes at that position in a new Range request.
    const cdp = await context.newCDPSession(page)
    try {
      await cdp.send('Network.enable')
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 64 * 1024, uploadThroughput: -1 })
      const before = media.length
      const seeked = await page.evaluate(async () => {
        const video = document.getElementById('video')
        // A new URL, so that neither the HTTP cache nor the media cache has these bytes; the
        // query string does not change which file the static engine serves.
        video.src = '/media/clip.webm?throttled'
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no metadata within 10 s')), 10_000)
          video.addEventListener('loadedmetadata', () => (clearTimeout(timer), resolve()), { once: true })
        })
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no seeked event within 15 s')), 15_000)
          video.addEventListener('seeked', () => (clearTimeout(timer), resolve()), { once: true })
          video.currentTime = 15
        })
        return { currentTime: video.currentTime, error: video.error?.message ?? null }
      })
      assert.equal(seeked.error, null)
      assert.ok(seeked.currentTime >= 14.5 && seeked.currentTime <= 16, `currentTime after the seek: ${seeked.currentTime}`)
      const offsets = media
        .slice(before)
        .filter((m) => m.status === 206)
        .map((m) => Number(/^bytes=(\d+)-/.exec(m.range ?? '')?.[1] ?? NaN))
      assert.ok(offsets.some((start) => start > 0), `a Range request from past the start: ${JSON.stringify(media.slice(before))}`)
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 }).catch(() => undefined)
      await cdp.detach().catch(() => undefined)
    }
  })

  test('no script errors on the page', () => {
    assert.deepEqual(pageErrors, [])
  })
})
