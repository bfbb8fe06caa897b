// Real HTTP/2 and TLS peers against serve({ http2: true }): curl, nghttp, h2load, openssl s_client.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App } from 'weft'
import { peer } from '../helpers/peers.ts'
import { CA, FIXTURES, TLS, curl, run, withH2 } from './helpers.ts'

const curlPeer = peer('curl')
const nghttpPeer = peer('nghttp', ['--version'])
const h2loadPeer = peer('h2load', ['--version'])
const opensslPeer = peer('openssl', ['version'])

function app(): App {
  const a = new App({ logErrors: false })
  a.get('/', (req) => ({ version: req.transport.httpVersion, alpn: req.tls?.alpn ?? null, sni: req.tls?.servername ?? null }))
  a.get('/page', (req) => {
    req.push('/style.css')
    req.push('/app.js')
    return 'page'
  })
  a.get('/style.css', () => 'body { color: teal }')
  a.get('/app.js', () => 'console.log(1)')
  a.get('/n/:i', (req) => `n${req.params.i}`)
  return a
}

const W = ['-w', '\n%{http_version}']

test('curl: HTTP/2 and HTTP/1.1 on one TLS port (ALPN), verified with the fixture CA', curlPeer, async () => {
  await withH2(app(), true, async (server) => {
    const url = `https://localhost:${server.port}/`
    const h2 = await curl(['--http2', '--cacert', CA, ...W, url])
    assert.equal(h2.code, 0, h2.stderr)
    const [body2, v2] = h2.stdout.split('\n')
    assert.equal(v2, '2')
    assert.deepEqual(JSON.parse(body2!), { version: '2.0', alpn: 'h2', sni: 'localhost' })
    const h1 = await curl(['--http1.1', '--cacert', CA, ...W, url])
    const [body1, v1] = h1.stdout.split('\n')
    assert.equal(v1, '1.1')
    assert.deepEqual(JSON.parse(body1!), { version: '1.1', alpn: 'http/1.1', sni: 'localhost' })
  })
})

test('curl: --http2-prior-knowledge and HTTP/1.1 on one cleartext port', curlPeer, async () => {
  await withH2(app(), false, async (server) => {
    const h2 = await curl(['--http2-prior-knowledge', ...W, `${server.url}/`])
    assert.equal(h2.code, 0, h2.stderr)
    assert.deepEqual(h2.stdout.split('\n'), ['{"version":"2.0","alpn":null,"sni":null}', '2'])
    const h1 = await curl([...W, `${server.url}/n/1`, `${server.url}/n/2`])
    assert.deepEqual(h1.stdout.split('\n'), ['n1', '1.1n2', '1.1'])
  })
})

test('curl: TLS 1.1 is refused; TLS 1.2 and 1.3 are served', curlPeer, async () => {
  await withH2(app(), true, async (server) => {
    const url = `https://localhost:${server.port}/`
    const old = await curl(['--tlsv1.1', '--tls-max', '1.1', '--cacert', CA, url])
    assert.notEqual(old.code, 0, 'a TLS 1.1 handshake must fail')
    assert.equal(old.stdout, '')
    for (const v of ['1.2', '1.3']) {
      const ok = await curl([`--tlsv${v}`, '--tls-max', v, '--cacert', CA, '-o', '/dev/null', '-w', '%{http_code}', url])
      assert.equal(ok.stdout, '200', `TLS ${v}: ${ok.stderr}`)
    }
  })
})

test('curl --resolve: SNI picks the certificate for the name, over HTTP/2', curlPeer, async () => {
  const sni = { 'a.weft.test': { cert: `${FIXTURES}a.weft.test.pem`, key: `${FIXTURES}a.weft.test.key` } }
  await withH2(
    app(),
    true,
    async (server) => {
      const url = `https://a.weft.test:${server.port}/`
      const res = await curl(['--http2', '--cacert', CA, '--resolve', `a.weft.test:${server.port}:127.0.0.1`, ...W, url])
      assert.equal(res.code, 0, res.stderr)
      const [body, v] = res.stdout.split('\n')
      assert.equal(v, '2')
      assert.deepEqual(JSON.parse(body!), { version: '2.0', alpn: 'h2', sni: 'a.weft.test' })
    },
    { tls: { ...TLS, sni } },
  )
})

test('openssl s_client: ALPN offers h2 and http/1.1', opensslPeer, async () => {
  await withH2(app(), true, async (server) => {
    for (const [offer, expected] of [
      ['h2,http/1.1', 'h2'],
      ['http/1.1', 'http/1.1'],
    ] as const) {
      const out = await run('sh', ['-c', `openssl s_client -connect 127.0.0.1:${server.port} -servername localhost -CAfile ${CA} -alpn ${offer} </dev/null 2>&1`])
      assert.match(out.stdout, new RegExp(`ALPN protocol: ${expected.replace('/', '\\/')}`))
      assert.match(out.stdout, /Verify return code: 0 \(ok\)/)
    }
  })
})

test('nghttp: ten requests multiplexed on one connection, and server push', nghttpPeer, async () => {
  await withH2(app(), false, async (server) => {
    const multi = await run('nghttp', ['-n', '-v', '-m', '10', `${server.url}/n/5`])
    assert.equal(multi.code, 0, multi.stderr)
    const streams = new Set([...multi.stdout.matchAll(/recv HEADERS frame <[^>]*stream_id=(\d+)>/g)].map((m) => m[1]))
    assert.equal(streams.size, 10)
    assert.equal([...multi.stdout.matchAll(/:status: 200/g)].length, 10)

    const push = await run('nghttp', ['-v', `${server.url}/page`])
    assert.equal(push.code, 0, push.stderr)
    assert.equal([...push.stdout.matchAll(/recv PUSH_PROMISE frame/g)].length, 2)
    assert.match(push.stdout, /:path: \/style\.css/)
    assert.match(push.stdout, /body \{ color: teal \}/)
    assert.match(push.stdout, /console\.log\(1\)/)
  })
})

test('nghttp over TLS: the page arrives, and push is skipped when the client disables it', nghttpPeer, async () => {
  await withH2(app(), true, async (server) => {
    // nghttp's --no-push sends SETTINGS_ENABLE_PUSH=0, as browsers do.
    const out = await run('nghttp', ['-v', '--no-push', `https://localhost:${server.port}/page`])
    assert.match(out.stdout, /page/)
    assert.doesNotMatch(out.stdout, /PUSH_PROMISE/)
  })
})

test('h2load: 1000 requests on 10 connections, 10 streams each, no errors', h2loadPeer, async () => {
  for (const secure of [false, true]) {
    await withH2(app(), secure, async (server) => {
      const url = secure ? `https://localhost:${server.port}/n/1` : `${server.url}/n/1`
      const out = await run('h2load', ['-n', '1000', '-c', '10', '-m', '10', url], 60_000)
      assert.equal(out.code, 0, out.stderr)
      assert.match(out.stdout, /requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored/)
      assert.match(out.stdout, /status codes: 1000 2xx/)
      if (secure) assert.match(out.stdout, /Application protocol: h2/)
    })
  }
})
