// sse(): framing, sanitizing, heartbeat, cleanup when the client leaves, Last-Event-ID, and a
// real EventSource (undici's) reading the stream.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { get as httpGet, type IncomingMessage } from 'node:http'
import { EventSource } from 'undici'
import { App, formatEvent, sse, type SseEvent } from 'weft'
import { withServer } from '../helpers/server.ts'
import { RawClient } from '../helpers/raw.ts'
import { deferred, within } from '../helpers/wait.ts'

test('formatEvent: fields, multi-line data, JSON', () => {
  assert.equal(formatEvent('hello'), 'data: hello\n\n')
  assert.equal(formatEvent('a\nb\r\nc\rd'), 'data: a\ndata: b\ndata: c\ndata: d\n\n')
  assert.equal(formatEvent(''), 'data: \n\n')
  assert.equal(formatEvent({ event: 'update', id: 7, retry: 1000, data: { a: [1, 'x\ny'] } }), 'event: update\nid: 7\nretry: 1000\ndata: {"a":[1,"x\\ny"]}\n\n')
  assert.equal(formatEvent({ data: 'line1\n\nline3' }), 'data: line1\ndata: \ndata: line3\n\n')
  assert.equal(formatEvent({ event: 'ping' }), 'event: ping\n\n')
  assert.equal(formatEvent({ data: null }), 'data: null\n\n')
})

test('formatEvent: CR, LF or NUL in event names and ids are refused', () => {
  for (const bad of ['a\nb', 'a\rb', 'a\r\nevent: x', 'x\0']) {
    assert.throws(() => formatEvent({ event: bad, data: 'x' }), TypeError)
    assert.throws(() => formatEvent({ id: bad, data: 'x' }), TypeError)
  }
  assert.throws(() => formatEvent({ retry: -1, data: 'x' }), TypeError)
  assert.throws(() => formatEvent({ retry: 1.5, data: 'x' }), TypeError)
  assert.throws(() => formatEvent(42 as unknown as SseEvent), TypeError)
})

test('sse(): headers and body through app.request', async () => {
  const a = new App({ logErrors: false })
  a.get('/events', () => sse(['one', { event: 'two', data: 2 }], { retry: 5000, heartbeat: 0 }))
  const res = await a.request('/events')
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8')
  assert.equal(res.headers.get('cache-control'), 'no-cache')
  assert.equal(res.headers.get('x-accel-buffering'), 'no')
  assert.equal(await res.text(), 'retry: 5000\n\ndata: one\n\nevent: two\ndata: 2\n\n')
})

test('sse(): an injected event name ends the stream before it is written', async () => {
  const stopped = deferred()
  const seen = deferred()
  const a = new App({ logErrors: false })
  a.get('/evil', () =>
    sse(
      (async function* () {
        try {
          yield { data: 'ok' }
          await seen.promise
          yield { event: 'x\ndata: forged', data: 'y' }
          yield { data: 'never' }
        } finally {
          stopped.resolve()
        }
      })(),
      { heartbeat: 0 },
    ),
  )
  await withServer(a, async (server) => {
    const c = await RawClient.open(server.port)
    try {
      c.write('GET /evil HTTP/1.1\r\nHost: x\r\n\r\n')
      await c.waitFor(() => c.pending().includes('data: ok\n\n'), 3000, 'the first event')
      seen.resolve()
      await c.closed(3000)
      const text = c.pending().toString('latin1')
      assert.match(text, /data: ok\n\n/)
      assert.doesNotMatch(text, /forged|never/)
      assert.doesNotMatch(text, /\r\n0\r\n\r\n$/, 'cut, not a clean end')
    } finally {
      c.destroy()
    }
  })
  await within(stopped.promise, 3000, "the source's finally")
})

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
}

test('sse(): heartbeat comments on an idle stream; return() clears the timer and returns the source', async () => {
  const stopped = deferred()
  const never = deferred()
  const res = sse(
    (async function* () {
      try {
        yield 'first'
        await never.promise
      } finally {
        stopped.resolve()
      }
    })(),
    { heartbeat: 10 },
  )
  const before = activeTimers()
  const it = (res.body as AsyncIterable<string>)[Symbol.asyncIterator]()
  assert.deepEqual(await it.next(), { done: false, value: ':\n\n' })
  assert.deepEqual(await it.next(), { done: false, value: 'data: first\n\n' })
  // The source now waits forever: only heartbeats come.
  assert.deepEqual(await within(it.next(), 3000, 'a heartbeat'), { done: false, value: ': ping\n\n' })
  assert.deepEqual(await within(it.next(), 3000, 'a second heartbeat'), { done: false, value: ': ping\n\n' })
  const pending = it.next()
  assert.equal(activeTimers(), before + 1)
  // The engine calls return() while a next() is waiting; both settle, and the generator's
  // finally runs once its await is released (an async generator cannot stop mid-await).
  await within(it.return!(), 3000, 'return()')
  assert.deepEqual(await within(pending, 3000, 'the pending next()'), { done: true, value: undefined })
  assert.equal(activeTimers(), before, 'the heartbeat timer is gone')
  never.resolve()
  await within(stopped.promise, 3000, "the source's finally")
  assert.deepEqual(await it.next(), { done: true, value: undefined })
})

test('sse(): a response that is never sent starts nothing', async () => {
  const before = activeTimers()
  let started = false
  sse(
    (async function* () {
      started = true
      yield 'x'
    })(),
  )
  assert.equal(activeTimers(), before)
  assert.equal(started, false)
})

function open(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers }, resolve)
    req.on('error', reject)
  })
}

test('sse(): the client going away stops the source and the heartbeat', async () => {
  const stopped = deferred()
  const produced: number[] = []
  const a = new App({ logErrors: false })
  a.get('/ticks', () =>
    sse(
      (async function* () {
        try {
          for (let i = 0; ; i++) {
            produced.push(i)
            yield { id: String(i), data: `tick ${i}` }
            await new Promise((resolve) => setTimeout(resolve, 5))
          }
        } finally {
          stopped.resolve()
        }
      })(),
      { heartbeat: 20 },
    ),
  )
  await withServer(a, async (server) => {
    const res = await open(`${server.url}/ticks`)
    let text = ''
    await within(
      new Promise<void>((resolve) => {
        res.on('data', (b: Buffer) => {
          text += b.toString()
          if (text.includes('tick 2')) resolve()
        })
      }),
      3000,
      'three ticks',
    )
    res.destroy()
    await within(stopped.promise, 3000, "the source's finally")
    const count = produced.length
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(produced.length, count, 'nothing produced after the client left')
  })
})

test('undici EventSource: events, types, ids, and Last-Event-ID on reconnect', async () => {
  const seen: Array<string | undefined> = []
  let connections = 0
  const a = new App({ logErrors: false })
  a.get('/feed', (req) => {
    connections++
    seen.push(req.lastEventId)
    const start = Number(req.lastEventId ?? -1) + 1
    // Two events per connection, then the stream ends and the browser-style client reconnects.
    return sse(
      [
        { id: String(start), data: `line a${start}\nline b${start}` },
        { id: String(start + 1), event: 'custom', data: { n: start + 1 } },
      ],
      { retry: 10 },
    )
  })
  await withServer(a, async (server) => {
    const es = new EventSource(`${server.url}/feed`)
    const got: string[] = []
    try {
      await within(
        new Promise<void>((resolve, reject) => {
          es.onmessage = (e) => {
            got.push(`message:${e.lastEventId}:${e.data}`)
          }
          es.addEventListener('custom', (event) => {
            const e = event as unknown as { lastEventId: string; data: string }
            got.push(`custom:${e.lastEventId}:${e.data}`)
            if (got.length >= 4) resolve()
          })
          es.onerror = () => {
            if (es.readyState === EventSource.CLOSED) reject(new Error('EventSource closed'))
          }
        }),
        5000,
        'events from two connections',
      )
    } finally {
      es.close()
    }
    assert.deepEqual(got.slice(0, 4), ['message:0:line a0\nline b0', 'custom:1:{"n":1}', 'message:2:line a2\nline b2', 'custom:3:{"n":3}'])
    assert.equal(seen[0], undefined)
    assert.equal(seen[1], '1')
    assert.ok(connections >= 2)
  })
})
