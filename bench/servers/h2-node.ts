// Raw node:http2 for the h2 phase: the 'stream' API (no compatibility layer) with a two-route
// switch, the floor weft's HTTP/2 engine sits on. Cleartext (h2c, prior knowledge).
import { createServer } from 'node:http2'
import { announce, benchPort, HELLO } from './common.ts'

const TEXT = 'text/plain; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'
const HELLO_LENGTH = String(Buffer.byteLength(HELLO))

const server = createServer({ settings: { maxConcurrentStreams: 100 } })
server.on('stream', (stream, headers) => {
  const path = headers[':path'] ?? '/'
  if (path === '/') {
    stream.respond({ ':status': 200, 'content-type': TEXT, 'content-length': HELLO_LENGTH })
    stream.end(HELLO)
    return
  }
  if (path.startsWith('/users/') && path.indexOf('/', 7) === -1) {
    const body = JSON.stringify({ id: decodeURIComponent(path.slice(7)) })
    stream.respond({ ':status': 200, 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(body)) })
    stream.end(body)
    return
  }
  stream.respond({ ':status': 404, 'content-type': TEXT, 'content-length': '9' })
  stream.end('Not Found')
})
const port = benchPort()
server.listen(port, '127.0.0.1', () => announce('node:http2', port))
