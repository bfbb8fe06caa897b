// A WebSocket echo server: /echo sends every message back unchanged (text as text, binary as
// binary), with permessage-deflate offered to clients that ask for it.
import { App, serve } from 'weft'

const app = new App()
app.get('/', () => 'WebSocket echo server: connect to /echo\n')
app.ws(
  '/echo',
  {
    message(ws, message) {
      ws.send(message)
    },
  },
  { deflate: true, maxPayload: 16 * 1024 * 1024 },
)

const server = await serve(app, { port: Number(process.env.PORT ?? 8080) })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close())
console.log(`listening on ${server.url}`)
