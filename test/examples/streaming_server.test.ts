import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { get, startExample, type RunningExample } from './spawn.ts'

// examples/streaming_server.ts as a program (PORT=0, `listening on`), and the same pieces
// mounted under /streaming in the demo. The browser side (video, EventSource) is in
// test/interop/chromium.test.ts.

const CLIP = fileURLToPath(new URL('../../examples/assets/clip.webm', import.meta.url))

/** Reads an event stream until `count` `tick` events have arrived (bounded), then hangs up. */
async function readTicks(url: string, count: number, headers: Record<string, string> = {}): Promise<Array<{ id: string; n: number; time: string }>> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new Error(`fewer than ${count} events from ${url} within 10 s`)), 10_000)
  const ticks: Array<{ id: string; n: number; time: string }> = []
  try {
    const res = await fetch(url, { headers, signal: controller.signal })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
    const decoder = new TextDecoder()
    let text = ''
    for await (const chunk of res.body!) {
      text += decoder.decode(chunk, { stream: true })
      let end: number
      while ((end = text.indexOf('\n\n')) !== -1) {
        const block = text.slice(0, end)
        text = text.slice(end + 2)
        const fields = new Map(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)] as const))
        if (fields.get('event') !== 'tick') continue
        const data = JSON.parse(fields.get('data')!) as { n: number; time: string }
        ticks.push({ id: fields.get('id')!, ...data })
        if (ticks.length === count) return ticks
      }
    }
    throw new Error(`the event stream ended after ${ticks.length} events`)
  } finally {
    clearTimeout(timer)
    controller.abort()
  }
}

/** Checks the CSV download line by line while it streams, without holding it whole. */
async function checkCsv(url: string, rows: number): Promise<{ headers: Headers }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/csv/)
  assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="data.csv"/)
  const decoder = new TextDecoder()
  let rest = ''
  let line = 0
  for await (const chunk of res.body!) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n')
    rest = lines.pop()!
    for (const l of lines) {
      if (line === 0) assert.equal(l, 'id,name,value,created')
      else if (line === 1 || line === rows) assert.match(l, new RegExp(`^${line},item-${line},\\d+,\\d+$`))
      line++
    }
  }
  assert.equal(rest, '')
  assert.equal(line, rows + 1, 'header and every row')
  return { headers: res.headers }
}

describe('examples/streaming_server.ts', () => {
  let example: RunningExample
  before(async () => {
    example = await startExample('streaming_server')
  })
  after(async () => {
    const exit = await example?.stop()
    assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${example?.stderr()}`)
  })

  test('prints its address once and serves the page with a video, a clock and the download', async () => {
    assert.equal(example.stdout().match(/listening on /g)?.length, 1)
    const res = await get(`${example.url}/`)
    assert.equal(res.status, 200)
    const page = await res.text()
    assert.match(page, /<video id="video" src="\/media\/clip\.webm"/)
    assert.match(page, /new EventSource\('\/clock'\)/)
    assert.match(page, /href="\/data\.csv"/)
  })

  test('serves the video with ranges', async () => {
    const size = statSync(CLIP).size
    const whole = await get(`${example.url}/media/clip.webm`)
    assert.equal(whole.headers.get('content-type'), 'video/webm')
    assert.equal(whole.headers.get('accept-ranges'), 'bytes')
    assert.equal((await whole.arrayBuffer()).byteLength, size)
    const part = await get(`${example.url}/media/clip.webm`, { headers: { range: 'bytes=100000-100099' } })
    assert.equal(part.status, 206)
    assert.equal(part.headers.get('content-range'), `bytes 100000-100099/${size}`)
    assert.equal((await part.arrayBuffer()).byteLength, 100)
  })

  test('the clock sends numbered tick events, and resumes after Last-Event-ID', async () => {
    const ticks = await readTicks(`${example.url}/clock`, 2)
    assert.deepEqual(ticks.map((t) => [t.id, t.n]), [['1', 1], ['2', 2]])
    for (const t of ticks) assert.ok(!Number.isNaN(Date.parse(t.time)), t.time)
    assert.ok(Date.parse(ticks[1]!.time) > Date.parse(ticks[0]!.time))
    // Last-Event-ID as a reconnecting EventSource sends it.
    const resumed = await readTicks(`${example.url}/clock`, 1, { 'last-event-id': '41' })
    assert.deepEqual([resumed[0]!.id, resumed[0]!.n], ['42', 42])
  })

  test('streams the million-row CSV (chunked, no Content-Length)', async () => {
    const { headers } = await checkCsv(`${example.url}/data.csv`, 1_000_000)
    assert.equal(headers.get('content-length'), null)
    assert.equal(headers.get('transfer-encoding'), 'chunked')
  })

  test('takes ?rows=, and refuses a bad one with 400', async () => {
    await checkCsv(`${example.url}/data.csv?rows=2500`, 2500)
    await checkCsv(`${example.url}/data.csv?rows=0`, 0)
    const bad = await get(`${example.url}/data.csv?rows=lots`)
    assert.equal(bad.status, 400)
    await bad.arrayBuffer()
  })
})
