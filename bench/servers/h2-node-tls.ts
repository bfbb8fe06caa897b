// Raw node:http2 over TLS (createSecureServer) with the same certificate as weft's HTTPS server:
// the platform's own HTTP/2 server, beside which the h2 phase times weft's TLS handshakes.
import { createSecureServer } from 'node:http2'
import { readFileSync } from 'node:fs'
import { announce, benchPort, HELLO } from './common.ts'

const fixtures = new URL('../../test/fixtures/tls/', import.meta.url)
const server = createSecureServer({ cert: readFileSync(new URL('localhost.pem', fixtures)), key: readFileSync(new URL('localhost.key', fixtures)), settings: { maxConcurrentStreams: 100 } })
server.on('stream', (stream) => {
  stream.respond({ ':status': 200, 'content-type': 'text/plain; charset=utf-8' })
  stream.end(HELLO)
})
const port = benchPort()
server.listen(port, '127.0.0.1', () => announce('node:http2+tls', port))
