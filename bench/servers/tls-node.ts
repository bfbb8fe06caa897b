// Plain node:tls with the same certificate, ALPN list and TLS defaults as weft's HTTPS server,
// doing nothing after the handshake: the floor a TLS handshake costs on this machine, which the
// h2 phase measures beside weft.
import { createServer } from 'node:tls'
import { readFileSync } from 'node:fs'
import { announce, benchPort } from './common.ts'

const fixtures = new URL('../../test/fixtures/tls/', import.meta.url)
const server = createServer(
  { cert: readFileSync(new URL('localhost.pem', fixtures)), key: readFileSync(new URL('localhost.key', fixtures)), ALPNProtocols: ['h2', 'http/1.1'], minVersion: 'TLSv1.2' },
  (socket) => {
    socket.on('error', () => {})
    socket.resume()
  },
)
const port = benchPort()
server.listen(port, '127.0.0.1', () => announce('node:tls', port))
