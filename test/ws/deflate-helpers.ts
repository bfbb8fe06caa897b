// permessage-deflate test helpers: a negotiated pair of contexts and promise wrappers.
import assert from 'node:assert/strict'
import {
  PerMessageDeflate,
  type ZlibLimiter,
  acceptDeflateOffer,
  acceptDeflateResponse,
  deflateOffer,
  parseExtensions,
  type DeflateConfig,
  type DeflateParams,
} from '../../src/ws/index.ts'

/** Negotiates like a real handshake and returns both ends. */
export function pair(clientConfig: DeflateConfig = {}, serverConfig: DeflateConfig = {}, limiter?: ZlibLimiter): { client: PerMessageDeflate; server: PerMessageDeflate } {
  const accepted = acceptDeflateOffer(parseExtensions(deflateOffer(clientConfig))!, serverConfig)
  assert.ok(accepted)
  const params = acceptDeflateResponse(parseExtensions(accepted.response)![0]!, clientConfig)
  assert.equal(typeof params, 'object')
  const options = limiter === undefined ? {} : { limiter }
  return { client: new PerMessageDeflate('client', params as DeflateParams, options), server: new PerMessageDeflate('server', accepted.params, options) }
}

export function compress(pmd: PerMessageDeflate, data: Buffer | string, fin = true): Promise<Buffer> {
  return new Promise((resolve, reject) => pmd.compress(data, fin, (err, out) => (err ? reject(err) : resolve(out!))))
}

export function decompress(pmd: PerMessageDeflate, data: Buffer, fin = true, limit = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => pmd.decompress(data, fin, limit, (err, out) => (err ? reject(err) : resolve(out!))))
}

