/**
 * The ceiling: node:net with a canned HTTP/1.1 response per request, keep-alive, no HTTP
 * parser. It only finds where each request head ends and looks at the request line, so it
 * measures Node's socket I/O, not HTTP.
 */
import { createServer, type Socket } from 'node:net'
import { announce, benchPort, HELLO } from './common.ts'

const HELLO_RESPONSE = Buffer.from(
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(HELLO)}\r\nConnection: keep-alive\r\n\r\n${HELLO}`,
)
const NOT_FOUND = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\n\r\nNot Found')
const END = Buffer.from('\r\n\r\n')

function answer(head: string): Buffer | string {
  // head: "GET /path HTTP/1.1"
  const sp = head.indexOf(' ')
  const path = head.slice(sp + 1, head.indexOf(' ', sp + 1))
  if (path === '/') return HELLO_RESPONSE
  if (path.startsWith('/users/')) {
    const body = `{"id":${JSON.stringify(path.slice(7))}}`
    return `HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`
  }
  return NOT_FOUND
}

function onConnection(socket: Socket): void {
  socket.setNoDelay(true)
  let pending: Buffer | null = null
  socket.on('data', (chunk: Buffer) => {
    const data = pending === null ? chunk : Buffer.concat([pending, chunk])
    let start = 0
    for (;;) {
      const end = data.indexOf(END, start)
      if (end === -1) break
      const lineEnd = data.indexOf(13, start)
      socket.write(answer(data.toString("latin1", start, lineEnd)))
      start = end + 4
    }
    pending = start === data.length ? null : data.subarray(start)
    if (pending !== null && pending.length > 65536) socket.destroy()
  })
  socket.on('error', () => socket.destroy())
}

const port = benchPort()
createServer({ noDelay: true }, onConnection).listen(port, '127.0.0.1', () => announce('raw node:net', port))
