// A WebSocket client for examples/echo_server.ts: sends a few messages, prints the echoes, and
// reconnects (with backoff) if the server restarts. URL from WS_URL, default ws://127.0.0.1:8080/echo.
//   npm run example -- echo_server      # in one terminal
//   npm run example -- ws_client        # in another
import { connect } from 'weft/ws'

const url = process.env.WS_URL ?? 'ws://127.0.0.1:8080/echo'
const ws = connect(url, { deflate: true, reconnect: { attempts: 5 } })

ws.on('open', () => console.log(`connected to ${url}`))
ws.on('reconnect', ({ attempt, delay, code }) => console.log(`connection lost (${code}); attempt ${attempt} in ${delay} ms`))
ws.on('error', (e) => console.error(`error: ${e.message}`))

const messages = ['hello', 'from', 'weft', new Uint8Array([0xde, 0xad, 0xbe, 0xef])]
for (const m of messages) ws.send(m) // queued until the connection opens

let left = messages.length
try {
  for await (const echo of ws) {
    console.log('echo:', echo)
    if (--left === 0) break // closes the client
  }
} catch (e) {
  console.error(`gave up: ${(e as Error).message}`)
  process.exitCode = 1
}
const { code } = await ws.closed
console.log(`closed (${code})`)
