// permessage-deflate negotiation tables (RFC 7692 section 7.1): the server's answer to offers,
// the client's offer, and the client's check of the answer.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import {
  acceptDeflateOffer,
  acceptDeflateResponse,
  deflateOffer,
  parseExtensions,
  validateDeflateConfig,
  type DeflateConfig,
  type DeflateParams,
} from '../../src/ws/index.ts'

const PMD = 'permessage-deflate'

describe('server: accept or decline offers', () => {
  const table: Array<[offer: string, config: DeflateConfig, response: string | null]> = [
    [PMD, {}, PMD],
    [`${PMD}; client_max_window_bits`, {}, PMD],
    [`${PMD}; client_max_window_bits`, { clientMaxWindowBits: 10 }, `${PMD}; client_max_window_bits=10`],
    [`${PMD}; client_max_window_bits=9`, { clientMaxWindowBits: 10 }, `${PMD}; client_max_window_bits=9`],
    [`${PMD}; client_max_window_bits=12`, {}, `${PMD}; client_max_window_bits=12`],
    // The server cannot limit a client that did not say it can be limited.
    [PMD, { clientMaxWindowBits: 10 }, null],
    [`${PMD}; server_max_window_bits=10`, {}, `${PMD}; server_max_window_bits=10`],
    [`${PMD}; server_max_window_bits=10`, { serverMaxWindowBits: 12 }, `${PMD}; server_max_window_bits=10`],
    [`${PMD}; server_max_window_bits=12`, { serverMaxWindowBits: 9 }, `${PMD}; server_max_window_bits=9`],
    [`${PMD}; server_max_window_bits="11"`, {}, `${PMD}; server_max_window_bits=11`],
    [PMD, { serverMaxWindowBits: 9 }, `${PMD}; server_max_window_bits=9`],
    [`${PMD}; server_no_context_takeover`, {}, `${PMD}; server_no_context_takeover`],
    [`${PMD}; client_no_context_takeover`, {}, `${PMD}; client_no_context_takeover`],
    [PMD, { serverNoContextTakeover: true, clientNoContextTakeover: true }, `${PMD}; server_no_context_takeover; client_no_context_takeover`],
    [`${PMD}; SERVER_NO_CONTEXT_TAKEOVER`, {}, `${PMD}; server_no_context_takeover`],
    // Invalid values decline the offer.
    [`${PMD}; server_max_window_bits`, {}, null],
    [`${PMD}; server_max_window_bits=7`, {}, null],
    [`${PMD}; server_max_window_bits=16`, {}, null],
    [`${PMD}; server_max_window_bits=08`, {}, null],
    [`${PMD}; server_max_window_bits=abc`, {}, null],
    [`${PMD}; client_max_window_bits=7`, {}, null],
    [`${PMD}; client_max_window_bits=16`, {}, null],
    [`${PMD}; server_no_context_takeover=1`, {}, null],
    [`${PMD}; client_no_context_takeover="x"`, {}, null],
    [`${PMD}; foo`, {}, null],
    // Duplicate parameters decline the offer.
    [`${PMD}; server_no_context_takeover; server_no_context_takeover`, {}, null],
    [`${PMD}; client_no_context_takeover; client_no_context_takeover`, {}, null],
    [`${PMD}; server_max_window_bits=10; server_max_window_bits=10`, {}, null],
    [`${PMD}; client_max_window_bits; client_max_window_bits=10`, {}, null],
    // A declined offer falls through to the next one; other extensions are skipped.
    [`${PMD}; foo, ${PMD}; client_max_window_bits`, {}, PMD],
    [`${PMD}; server_max_window_bits=16, ${PMD}; server_max_window_bits=15`, {}, `${PMD}; server_max_window_bits=15`],
    [`x-webkit-deflate-frame, ${PMD}`, {}, PMD],
    ['x-webkit-deflate-frame', {}, null],
  ]
  for (const [offer, config, response] of table) {
    test(`${offer} with ${JSON.stringify(config)} -> ${response}`, () => {
      const result = acceptDeflateOffer(parseExtensions(offer)!, config)
      assert.equal(result?.response ?? null, response)
    })
  }

  test('the agreed parameters', () => {
    const r = acceptDeflateOffer(parseExtensions(`${PMD}; client_max_window_bits=11; server_max_window_bits=12; client_no_context_takeover`)!, {
      serverMaxWindowBits: 10,
      serverNoContextTakeover: true,
    })
    assert.deepEqual(r?.params, { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 11 })
  })
})

describe('client: offer and response', () => {
  test('offers', () => {
    assert.equal(deflateOffer({}), `${PMD}; client_max_window_bits`)
    assert.equal(
      deflateOffer({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 }),
      `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9`,
    )
  })

  const base: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }
  const table: Array<[config: DeflateConfig, response: string, expected: DeflateParams | 'error']> = [
    [{}, PMD, base],
    // The server may add server_no_context_takeover unasked (RFC 7692 7.1.1.1).
    [{}, `${PMD}; server_no_context_takeover`, { ...base, serverNoContextTakeover: true }],
    [{}, `${PMD}; client_no_context_takeover`, { ...base, clientNoContextTakeover: true }],
    [{ clientNoContextTakeover: true }, PMD, { ...base, clientNoContextTakeover: true }],
    [{}, `${PMD}; client_max_window_bits=10`, { ...base, clientMaxWindowBits: 10 }],
    [{ clientMaxWindowBits: 9 }, `${PMD}; client_max_window_bits=12`, { ...base, clientMaxWindowBits: 9 }],
    [{}, `${PMD}; server_max_window_bits=11`, { ...base, serverMaxWindowBits: 11 }],
    [{ serverMaxWindowBits: 10 }, `${PMD}; server_max_window_bits=9`, { ...base, serverMaxWindowBits: 9 }],
    [{ serverMaxWindowBits: 10 }, `${PMD}; server_max_window_bits=10`, { ...base, serverMaxWindowBits: 10 }],
    [{ serverMaxWindowBits: 10 }, PMD, 'error'],
    [{ serverMaxWindowBits: 10 }, `${PMD}; server_max_window_bits=12`, 'error'],
    [{ serverNoContextTakeover: true }, PMD, 'error'],
    [{}, `${PMD}; client_max_window_bits`, 'error'],
    [{}, `${PMD}; server_max_window_bits=7`, 'error'],
    [{}, `${PMD}; client_max_window_bits=16`, 'error'],
    [{}, `${PMD}; server_no_context_takeover; server_no_context_takeover`, 'error'],
    [{}, `${PMD}; foo=1`, 'error'],
    [{}, 'x-other', 'error'],
  ]
  for (const [config, response, expected] of table) {
    test(`${JSON.stringify(config)} + ${response} -> ${expected === 'error' ? 'error' : JSON.stringify(expected)}`, () => {
      const result = acceptDeflateResponse(parseExtensions(response)![0]!, config)
      if (expected === 'error') assert.equal(typeof result, 'string')
      else assert.deepEqual(result, expected)
    })
  }

  test('what a server accepts, the client accepts with the same parameters', () => {
    const configs: DeflateConfig[] = [{}, { serverNoContextTakeover: true }, { clientMaxWindowBits: 9, serverMaxWindowBits: 10 }, { clientNoContextTakeover: true }]
    for (const clientConfig of configs) {
      for (const serverConfig of configs) {
        const accepted = acceptDeflateOffer(parseExtensions(deflateOffer(clientConfig))!, serverConfig)
        assert.ok(accepted, `${JSON.stringify(clientConfig)} / ${JSON.stringify(serverConfig)}`)
        assert.deepEqual(acceptDeflateResponse(parseExtensions(accepted.response)![0]!, clientConfig), accepted.params)
      }
    }
  })
})

test('configuration values are checked', () => {
  assert.throws(() => validateDeflateConfig({ serverMaxWindowBits: 16 }), RangeError)
  assert.throws(() => validateDeflateConfig({ clientMaxWindowBits: 7.5 }), RangeError)
  validateDeflateConfig({ serverMaxWindowBits: 8, clientMaxWindowBits: 15 })
})
