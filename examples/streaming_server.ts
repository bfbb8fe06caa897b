// Streaming with weft: a page whose <video> plays and seeks a file served with byte ranges, a
// clock pushed once a second over server-sent events, and a million-row CSV generated while it
// is downloaded. Run it with `npm run example -- streaming_server` and open the printed URL.
//
// examples/assets/clip.webm (20 s of VP8, 320×180, a keyframe every second so that seeks land
// quickly) was made once with:
//   ffmpeg -f lavfi -i testsrc2=size=320x180:rate=15:duration=20 -c:v libvpx -b:v 100k \
//     -crf 30 -g 15 -keyint_min 15 -an clip.webm
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { App, HttpError, Response, html, serve, sse, type Request, type SseEvent } from 'weft'

export interface StreamingOptions {
  /** The path this app is mounted at, for the links in its page (default '' for the root). */
  base?: string
}

const ASSETS = fileURLToPath(new URL('./assets/', import.meta.url))
/** Rows in /data.csv unless `?rows=` asks for another number (up to MAX_ROWS). */
export const DEFAULT_ROWS = 1_000_000
const MAX_ROWS = 10_000_000
/** Rows per chunk: one yield per row would spend more time in the generator than on the data. */
const ROWS_PER_CHUNK = 1000

/** The streaming app, to serve on its own (below) or mount in another app (examples/demo.ts). */
export function createStreamingApp(options: StreamingOptions = {}): App {
  const base = options.base ?? ''
  const app = new App()
  app.get('/', () => html(page(base)))
  // Ranges, If-Range and 206 come with the static engine; a <video> relies on them to seek.
  app.static('/media', ASSETS, { maxAge: '1h' })
  app.get('/clock', (req) => sse(clock(req), { heartbeat: 15_000 }))
  app.get('/data.csv', (req) => {
    const rows = rowCount(req.query.get('rows'))
    return new Response(csv(rows, req.signal), {
      headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="data.csv"' },
    })
  })
  return app
}

/** One `tick` event a second, on the second, until the client goes away. */
async function* clock(req: Request): AsyncGenerator<SseEvent> {
  // A reconnecting EventSource sends the last id it saw; carry on counting from there.
  const last = Number(req.lastEventId ?? 0)
  let n = Number.isSafeInteger(last) && last > 0 ? last : 0
  while (!req.signal.aborted) {
    n++
    yield { event: 'tick', id: n, data: { n, time: new Date().toISOString() } }
    // Aborting the wait on disconnect ends the generator now rather than a second later.
    await sleep(1000 - (Date.now() % 1000), undefined, { signal: req.signal }).catch(() => undefined)
  }
}

/**
 * The CSV, made while it is sent: weft asks for the next chunk only once the socket has taken
 * the last one, so a slow client holds the generator back and memory stays at one chunk,
 * whatever the number of rows. Deterministic, so a download can be checked.
 */
async function* csv(rows: number, signal: AbortSignal): AsyncGenerator<string> {
  yield 'id,name,value,created\n'
  const epoch = Date.UTC(2024, 0, 1) / 1000
  for (let i = 1; i <= rows && !signal.aborted; ) {
    const end = Math.min(rows, i + ROWS_PER_CHUNK - 1)
    let chunk = ''
    for (; i <= end; i++) chunk += `${i},item-${i},${(i * 7919) % 10007},${epoch + i}\n`
    yield chunk
  }
}

function rowCount(raw: string | null): number {
  if (raw === null) return DEFAULT_ROWS
  if (!/^\d{1,8}$/.test(raw) || Number(raw) > MAX_ROWS) throw new HttpError(400, `rows must be a whole number from 0 to ${MAX_ROWS}`)
  return Number(raw)
}

function page(base: string): string {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>weft · streaming</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem } video { width: 100%; background: #000 }</style>
<h1>Streaming with weft</h1>

<h2>Video, played and sought with byte ranges</h2>
<video id="video" src="${base}/media/clip.webm" controls muted playsinline preload="metadata"></video>
<p>Every seek is a <code>Range</code> request answered with <code>206 Partial Content</code>.</p>

<h2>A clock over server-sent events</h2>
<p>Server time: <output id="clock">connecting…</output> · events received: <output id="events">0</output></p>

<h2>A large download, generated as it is sent</h2>
<p><a href="${base}/data.csv" download>data.csv</a>: ${DEFAULT_ROWS.toLocaleString('en-US')} rows, made row by row while
you download them, never held in memory (<a href="${base}/data.csv?rows=20">the first 20</a>).</p>

<script type="module">
  const clock = document.getElementById('clock')
  const count = document.getElementById('events')
  let received = 0
  const events = new EventSource('${base}/clock')
  events.addEventListener('tick', (e) => {
    clock.textContent = JSON.parse(e.data).time
    count.textContent = String(++received)
  })
  events.addEventListener('error', () => { clock.textContent = 'reconnecting…' })
</script>
</html>
`
}

// Serve when run as a program; importing the module (the demo, the tests) only builds the app.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const server = await serve(createStreamingApp(), { port: Number(process.env.PORT ?? 8080) })
  // Event streams never end on their own: give them a moment, then cut them.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close({ timeout: 2_000 }))
  console.log(`listening on ${server.url}`)
}
