// Opening handshake: accept key, request validation, response head, the client's check of the
// response, and the extension / subprotocol header syntax.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import {
  acceptKey,
  checkUpgradeRequest,
  checkUpgradeResponse,
  formatExtensions,
  generateKey,
  parseExtensions,
  parseSubprotocols,
  upgradeResponseHead,
  type HeaderRecord,
} from '../../src/ws/index.ts'

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

function request(overrides: HeaderRecord = {}): HeaderRecord {
  return { host: 'x', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': KEY, ...overrides }
}

test('Sec-WebSocket-Accept: the example of RFC 6455 section 1.3', () => {
  assert.equal(acceptKey(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
})

test('generated keys are 16 random bytes in base64 and pass validation', () => {
  const a = generateKey()
  assert.equal(Buffer.from(a, 'base64').length, 16)
  assert.notEqual(a, generateKey())
  assert.equal(checkUpgradeRequest('GET', request({ 'sec-websocket-key': a })).ok, true)
})

describe('upgrade request validation', () => {
  test('a valid request, with protocols and extensions parsed', () => {
    const r = checkUpgradeRequest('GET', request({ 'sec-websocket-protocol': 'chat, superchat', 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' }))
    assert.ok(r.ok)
    assert.equal(r.key, KEY)
    assert.deepEqual(r.protocols, ['chat', 'superchat'])
    assert.deepEqual(r.extensions, [{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }])
  })

  test('Upgrade and Connection are case-insensitive token lists', () => {
    assert.equal(checkUpgradeRequest('GET', request({ upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE' })).ok, true)
    assert.equal(checkUpgradeRequest('GET', request({ upgrade: 'foo, websocket' })).ok, true)
    assert.equal(checkUpgradeRequest('GET', request({ connection: ['keep-alive', 'Upgrade'] })).ok, true)
  })

  const refusals: Array<[string, string, HeaderRecord, number]> = [
    ['POST', 'POST', request(), 405],
    ['no Upgrade', 'GET', request({ upgrade: undefined }), 400],
    ['Upgrade: h2c', 'GET', request({ upgrade: 'h2c' }), 400],
    ['Upgrade: websocketx', 'GET', request({ upgrade: 'websocketx' }), 400],
    ['Connection without upgrade', 'GET', request({ connection: 'keep-alive' }), 400],
    ['Connection: upgraded', 'GET', request({ connection: 'upgraded' }), 400],
    ['version 8', 'GET', request({ 'sec-websocket-version': '8' }), 426],
    ['no version', 'GET', request({ 'sec-websocket-version': undefined }), 426],
    ['no key', 'GET', request({ 'sec-websocket-key': undefined }), 400],
    ['a key of 15 bytes', 'GET', request({ 'sec-websocket-key': Buffer.alloc(15).toString('base64') }), 400],
    ['a key of 17 bytes', 'GET', request({ 'sec-websocket-key': Buffer.alloc(17).toString('base64') }), 400],
    ['a key that is not base64', 'GET', request({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZ!==' }), 400],
    ['a bad subprotocol token', 'GET', request({ 'sec-websocket-protocol': 'chat, sup er' }), 400],
    ['a duplicate subprotocol', 'GET', request({ 'sec-websocket-protocol': 'chat, chat' }), 400],
    ['bad extension syntax', 'GET', request({ 'sec-websocket-extensions': 'permessage-deflate; =3' }), 400],
  ]
  for (const [name, method, headers, status] of refusals) {
    test(`refused: ${name} -> ${status}`, () => {
      const r = checkUpgradeRequest(method, headers)
      assert.equal(r.ok, false)
      if (!r.ok) {
        assert.equal(r.status, status)
        if (status === 426) assert.equal(r.headers['sec-websocket-version'], '13')
      }
    })
  }
})

test('the 101 response head', () => {
  const head = upgradeResponseHead(KEY, 'chat', 'permessage-deflate', { 'x-id': '1' })
  assert.equal(
    head,
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n' +
      'Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate\r\nx-id: 1\r\n\r\n',
  )
  assert.throws(() => upgradeResponseHead(KEY, undefined, undefined, { 'x-a': 'b\r\nx-evil: 1' }), TypeError)
})

describe('the client checks the response', () => {
  const good: HeaderRecord = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': acceptKey(KEY) }
  test('a valid response', () => {
    const r = checkUpgradeResponse(101, { ...good, 'sec-websocket-protocol': 'chat', 'sec-websocket-extensions': 'permessage-deflate' }, KEY, ['chat'], ['permessage-deflate'])
    assert.ok(r.ok)
    assert.equal(r.protocol, 'chat')
    assert.equal(r.extensions.length, 1)
    const none = checkUpgradeResponse(101, good, KEY, ['chat'], [])
    assert.ok(none.ok)
    assert.equal(none.protocol, undefined)
  })
  const failures: Array<[string, number, HeaderRecord, string[], string[]]> = [
    ['status 200', 200, good, [], []],
    ['a wrong accept value', 101, { ...good, 'sec-websocket-accept': acceptKey('AAAAAAAAAAAAAAAAAAAAAA==') }, [], []],
    ['no Upgrade', 101, { ...good, upgrade: undefined }, [], []],
    ['a subprotocol not offered', 101, { ...good, 'sec-websocket-protocol': 'other' }, ['chat'], []],
    ['a subprotocol when none was offered', 101, { ...good, 'sec-websocket-protocol': 'chat' }, [], []],
    ['an extension not offered', 101, { ...good, 'sec-websocket-extensions': 'x-foo' }, [], ['permessage-deflate']],
    ['an extension twice', 101, { ...good, 'sec-websocket-extensions': 'permessage-deflate, permessage-deflate' }, [], ['permessage-deflate']],
  ]
  for (const [name, status, headers, protocols, extensions] of failures) {
    test(`fails: ${name}`, () => {
      assert.equal(checkUpgradeResponse(status, headers, KEY, protocols, extensions).ok, false)
    })
  }
})

describe('extension header syntax', () => {
  const valid: Array<[string, unknown]> = [
    ['permessage-deflate', [{ name: 'permessage-deflate', params: [] }]],
    [
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate',
      [
        { name: 'permessage-deflate', params: [['client_max_window_bits', true], ['server_max_window_bits', '10']] },
        { name: 'permessage-deflate', params: [] },
      ],
    ],
    ['a ;b="10" ; c = 12', [{ name: 'a', params: [['b', '10'], ['c', '12']] }]],
    ['a; b="1\\0"', [{ name: 'a', params: [['b', '10']] }]],
    ['a, , b', [{ name: 'a', params: [] }, { name: 'b', params: [] }]],
    ['', []],
    ['a; b=1; b=2', [{ name: 'a', params: [['b', '1'], ['b', '2']] }]],
  ]
  for (const [header, expected] of valid) {
    test(`parses ${JSON.stringify(header)}`, () => {
      assert.deepEqual(parseExtensions(header), expected)
    })
  }
  for (const header of ['a;', 'a; =1', 'a; b=', 'a; b="x y"', 'a; b="unterminated', 'a b', 'a; b=1 c', '"a"', 'a; b=@', 'a; b="\u0001"']) {
    test(`rejects ${JSON.stringify(header)}`, () => {
      assert.equal(parseExtensions(header), null)
    })
  }
  test('formats what it parses', () => {
    const header = 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10, x-y'
    assert.equal(formatExtensions(parseExtensions(header)!), header)
  })
  test('subprotocol lists', () => {
    assert.deepEqual(parseSubprotocols(' chat ,superchat'), ['chat', 'superchat'])
    assert.deepEqual(parseSubprotocols('Chat, chat'), ['Chat', 'chat'])
    assert.equal(parseSubprotocols('a b'), null)
    assert.equal(parseSubprotocols('a, "b"'), null)
  })
})
