// The Response class: default content types, given headers, and headers changed after the
// fact. A Response makes its header map only when `headers` is read, so each case is checked
// both as the object reports it and as the two engines send it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, Response, text, json } from 'weft'
import { withServer } from '../helpers/server.ts'
import { get } from '../helpers/raw.ts'
import { withH2, h2connect, h2request } from '../http2/helpers.ts'

const TEXT_TYPE = 'text/plain; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'
const OCTET_TYPE = 'application/octet-stream'

/** name → [made, content-type and x-extra it must be sent with] */
const cases: Record<string, [() => Response, string | undefined, string | undefined]> = {
  'string body': [() => new Response('a'), TEXT_TYPE, undefined],
  'bytes body': [() => new Response(new Uint8Array([1])), OCTET_TYPE, undefined],
  'no body': [() => new Response(null, { status: 201 }), undefined, undefined],
  'given type wins': [() => new Response('a', { headers: { 'content-type': 'text/x-given' } }), 'text/x-given', undefined],
  'given headers keep the default type': [() => new Response('a', { headers: { 'x-extra': '1' } }), TEXT_TYPE, '1'],
  'helper type': [() => json({ a: 1 }), JSON_TYPE, undefined],
  'helper with a given type': [() => text('a', { headers: { 'content-type': 'text/x-given' } }), 'text/x-given', undefined],
  'header added after': [
    () => {
      const res = text('a')
      res.headers.set('x-extra', '2')
      return res
    },
    TEXT_TYPE,
    '2',
  ],
  'type replaced after': [
    () => {
      const res = json([])
      res.headers.set('content-type', 'application/x-other')
      return res
    },
    'application/x-other',
    undefined,
  ],
  'type removed after': [
    () => {
      const res = new Response('a')
      res.headers.delete('content-type')
      return res
    },
    undefined,
    undefined,
  ],
  'body set after construction gets no default type': [
    () => {
      const res = new Response()
      res.body = 'late'
      return res
    },
    undefined,
    undefined,
  ],
}

function app(): App {
  const a = new App()
  for (const [i, [make]] of Object.values(cases).entries()) a.get(`/${i}`, make)
  return a
}

test('a Response reports its headers as they were given or changed', () => {
  for (const [name, [make, type, extra]] of Object.entries(cases)) {
    const res = make()
    assert.equal(res.headers.get('content-type'), type, name)
    assert.equal(res.headers.get('x-extra'), extra, name)
  }
})

test('HTTP/1.1 sends the same headers the Response reports', async () => {
  await withServer(app(), async (server) => {
    const port = Number(new URL(server.url).port)
    for (const [i, [name, [, type, extra]]] of Object.entries(cases).entries()) {
      const res = await get(port, `/${i}`)
      assert.equal(res.header('content-type'), type, name)
      assert.equal(res.header('x-extra'), extra, name)
      assert.equal(res.headers['content-type']?.length ?? 0, type === undefined ? 0 : 1, `${name}: one content-type`)
    }
  })
})

test('HTTP/2 sends the same headers the Response reports', async () => {
  await withH2(app(), false, async (server) => {
    const session = await h2connect(server)
    try {
      for (const [i, [name, [, type, extra]]] of Object.entries(cases).entries()) {
        const res = await h2request(session, { ':path': `/${i}` })
        assert.equal(res.headers['content-type'], type, name)
        assert.equal(res.headers['x-extra'], extra, name)
      }
    } finally {
      session.close()
    }
  })
})
