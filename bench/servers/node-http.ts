// Plain node:http with a hand-written two-route switch: the baseline weft sits on. Headers go
// to writeHead as an object, the fastest of the forms node:http takes (measured).
import { createServer } from 'node:http'
import { announce, benchPort, HELLO, keepAliveMs } from './common.ts'

const TEXT = 'text/plain; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'
const HELLO_LENGTH = String(Buffer.byteLength(HELLO))

const server = createServer((req, res) => {
  const url = req.url ?? '/'
  if (url === '/') {
    res.writeHead(200, { 'content-type': TEXT, 'content-length': HELLO_LENGTH })
    res.end(HELLO)
    return
  }
  if (url.startsWith('/users/') && url.indexOf('/', 7) === -1) {
    const body = JSON.stringify({ id: decodeURIComponent(url.slice(7)) })
    res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(body)) })
    res.end(body)
    return
  }
  res.writeHead(404, { 'content-type': TEXT, 'content-length': '9' })
  res.end('Not Found')
})
const keepAlive = keepAliveMs()
if (keepAlive !== undefined) server.keepAliveTimeout = keepAlive
const port = benchPort()
server.listen(port, '127.0.0.1', () => announce('node:http', port))
