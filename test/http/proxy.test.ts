// trustProxy: req.ip / req.protocol / req.host from Forwarded and X-Forwarded-* only when the
// peer is trusted. Over real sockets the peer is 127.0.0.1; app.request() simulates others.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { App, type TrustProxy, type AppOptions } from 'weft'
import { withServer } from '../helpers/server.ts'
import { get } from '../helpers/raw.ts'

const FORWARDED_HEADERS = 'X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: HTTPS\r\nX-Forwarded-Host: shop.example\r\n'

function reporter(options: AppOptions = {}): App {
  const app = new App({ logErrors: false, ...options })
  app.get('/', (req) => ({ ip: req.ip, protocol: req.protocol, host: req.host }))
  return app
}

async function facts(port: number, extra = FORWARDED_HEADERS): Promise<{ ip: string; protocol: string; host: string }> {
  const r = await get(port, '/', extra)
  assert.equal(r.status, 200)
  return JSON.parse(r.body.toString())
}

const direct = { ip: '127.0.0.1', protocol: 'http', host: 'localhost' }
const forwarded = { ip: '203.0.113.9', protocol: 'https', host: 'shop.example' }

const trustedLoopback: Array<[string, TrustProxy]> = [
  ['true', true],
  ['hop count 1', 1],
  ['CIDR list', ['10.0.0.0/8', '127.0.0.0/8']],
  ['single address string', '127.0.0.1'],
  ['comma-separated string', '192.168.0.0/16, 127.0.0.1'],
  ['loopback', 'loopback'],
  ['function', (address: string, hop: number) => hop === 0 && address === '127.0.0.1'],
]
const untrusted: Array<[string, TrustProxy | undefined]> = [
  ['unset', undefined],
  ['false', false],
  ['hop count 0', 0],
  ['other CIDR', ['10.0.0.0/8']],
  ['private', 'private'],
  ['function saying no', () => false],
]

test('trustProxy as a serve() option', async (t) => {
  for (const [name, trust] of trustedLoopback) {
    await t.test(`trusted (${name}): forwarded facts are used`, async () => {
      await withServer(reporter(), async (server) => assert.deepEqual(await facts(server.port), forwarded), { trustProxy: trust })
    })
  }
  for (const [name, trust] of untrusted) {
    await t.test(`untrusted (${name}): headers ignored`, async () => {
      await withServer(reporter(), async (server) => assert.deepEqual(await facts(server.port), direct), trust === undefined ? {} : { trustProxy: trust })
    })
  }
})

test('trustProxy as an App option, and serve() overriding it', async () => {
  await withServer(reporter({ trustProxy: 'loopback' }), async (server) => assert.deepEqual(await facts(server.port), forwarded))
  await withServer(reporter({ trustProxy: ['10.0.0.0/8'] }), async (server) => assert.deepEqual(await facts(server.port), direct))
  await withServer(reporter({ trustProxy: true }), async (server) => assert.deepEqual(await facts(server.port), direct), { trustProxy: false })
  await withServer(reporter({ trustProxy: false }), async (server) => assert.deepEqual(await facts(server.port), forwarded), { trustProxy: 'loopback' })
})

test('the Forwarded header (RFC 7239) over a socket', async () => {
  await withServer(
    reporter(),
    async (server) => {
      assert.deepEqual(await facts(server.port, 'Forwarded: for=198.51.100.17;proto=https;host=api.example\r\n'), {
        ip: '198.51.100.17',
        protocol: 'https',
        host: 'api.example',
      })
      assert.deepEqual(await facts(server.port, 'Forwarded: For="[2001:db8:cafe::17]:4711"\r\n'), { ip: '2001:db8:cafe::17', protocol: 'http', host: 'localhost' })
      // Forwarded takes precedence over X-Forwarded-*.
      assert.deepEqual(await facts(server.port, `Forwarded: for=198.51.100.1\r\n${FORWARDED_HEADERS}`), { ip: '198.51.100.1', protocol: 'http', host: 'localhost' })
    },
    { trustProxy: 'loopback' },
  )
})

function simulated(trustProxy: TrustProxy): App {
  return reporter({ trustProxy })
}

async function ask(app: App, remoteAddress: string, headers: Record<string, string>): Promise<{ ip: string; protocol: string; host: string }> {
  const res = await app.request('http://direct.example/', { remoteAddress, headers })
  return (await res.json()) as { ip: string; protocol: string; host: string }
}

test('app.request({ remoteAddress }) simulates peers', async () => {
  const app = simulated(['loopback', 'private'])
  // A trusted private-network proxy.
  assert.deepEqual(await ask(app, '10.1.2.3', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' }), {
    ip: '203.0.113.9',
    protocol: 'https',
    host: 'direct.example',
  })
  // A public peer speaking for someone else is ignored.
  assert.deepEqual(await ask(app, '8.8.8.8', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil' }), {
    ip: '8.8.8.8',
    protocol: 'http',
    host: 'direct.example',
  })
  // IPv4-mapped IPv6 peers count as IPv4.
  assert.equal((await ask(app, '::ffff:10.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).ip, '203.0.113.9')
  assert.equal((await ask(app, '::1', { 'x-forwarded-for': '203.0.113.9' })).ip, '203.0.113.9')
  assert.equal((await ask(app, 'fe80::1', { 'x-forwarded-for': '203.0.113.9' })).ip, 'fe80::1')
})

test('X-Forwarded-For chains stop at the first untrusted hop', async () => {
  const headers = { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.0.0.2' }
  // Trusting the private network: 10.0.0.2 is a proxy, 203.0.113.9 the client; 6.6.6.6 is
  // whatever the client claimed and is never believed.
  assert.equal((await ask(simulated('private'), '10.0.0.1', headers)).ip, '203.0.113.9')
  // Hop counts: 1 trusts only the direct peer, 2 the next one as well.
  assert.equal((await ask(simulated(1), '10.0.0.1', headers)).ip, '10.0.0.2')
  assert.equal((await ask(simulated(2), '10.0.0.1', headers)).ip, '203.0.113.9')
  assert.equal((await ask(simulated(3), '10.0.0.1', headers)).ip, '6.6.6.6')
  // The function sees each address with its hop index.
  const calls: Array<[string, number]> = []
  await ask(
    simulated((address, hop) => {
      calls.push([address, hop])
      return hop < 2
    }),
    '10.0.0.1',
    headers,
  )
  assert.deepEqual(calls, [
    ['10.0.0.1', 0],
    ['10.0.0.2', 1],
    ['203.0.113.9', 2],
  ])
  // A repeated header is one list.
  const app = simulated(true)
  const res = await app.request('http://x/', { remoteAddress: '10.0.0.1', headers: [['x-forwarded-for', '1.1.1.1'], ['x-forwarded-for', '2.2.2.2']] })
  assert.equal(((await res.json()) as { ip: string }).ip, '1.1.1.1')
})

test('Forwarded chains: the farthest trusted element describes the client request', async () => {
  const app = simulated(['loopback', 'private'])
  const got = await ask(app, '127.0.0.1', {
    forwarded: 'for=198.51.100.7;proto=https;host=www.example, for=10.0.0.5;proto=http;host=lb.internal',
  })
  assert.deepEqual(got, { ip: '198.51.100.7', protocol: 'https', host: 'www.example' })
  // When the chain stops at an untrusted hop, what that hop wrote is not read.
  const stopped = await ask(app, '127.0.0.1', {
    forwarded: 'for=1.2.3.4;proto=gopher;host=lies, for=198.51.100.7;proto=https;host=www.example',
  })
  assert.deepEqual(stopped, { ip: '198.51.100.7', protocol: 'https', host: 'www.example' })
})

test('malformed forwarding headers do not break the request', async () => {
  const app = simulated(true)
  for (const value of ['', ',,,', 'garbage', 'for=', 'for="[::1', ';;;=;', 'for=unknown', 'for=_hidden;proto=https']) {
    const res = await app.request('http://x/', { remoteAddress: '10.0.0.1', headers: { forwarded: value } })
    assert.equal(res.status, 200, value)
  }
  for (const value of ['', ' , ', 'not-an-ip', '[::1]:80', '1.2.3.4:5678']) {
    const res = await app.request('http://x/', { remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': value } })
    assert.equal(res.status, 200, value)
  }
  assert.equal((await ask(app, '10.0.0.1', { 'x-forwarded-for': '1.2.3.4:5678' })).ip, '1.2.3.4')
  assert.equal((await ask(app, '10.0.0.1', { 'x-forwarded-for': '[2001:db8::5]:80' })).ip, '2001:db8::5')
})

test('invalid trustProxy values are rejected up front', () => {
  assert.throws(() => new App({ trustProxy: ['not-an-ip'] }).requestSettings(), TypeError)
  assert.throws(() => new App({ trustProxy: ['10.0.0.0/33'] }).requestSettings(), TypeError)
  assert.throws(() => new App({ trustProxy: ['::/129'] }).requestSettings(), TypeError)
})
