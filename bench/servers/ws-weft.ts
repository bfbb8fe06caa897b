// weft's WebSocket server for the ws benchmark: /echo echoes, /bcast subscribes every
// connection to one topic and publishes each message it receives to all of them.
import { App, serve } from 'weft'
import { announce, benchPort } from './common.ts'

const app = new App()
app.ws('/echo', { message: (ws, m) => void ws.send(m) })
app.ws('/bcast', {
  open: (ws) => void ws.subscribe('all'),
  message: (_ws, m) => void app.publish('all', m),
})
const server = await serve(app, { port: benchPort(), host: '127.0.0.1' })
announce('weft-ws', server.port)
