// The `ws` package's server for the ws benchmark, with its defaults (permessage-deflate off on
// the server, as weft's): /echo echoes, /bcast sends each message to every /bcast connection
// with a send loop (ws has no pub/sub).
import { createServer } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'
import { announce, benchPort } from './common.ts'

const echo = new WebSocketServer({ noServer: true })
const bcast = new WebSocketServer({ noServer: true })
echo.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })))
const members = new Set<WebSocket>()
bcast.on('connection', (ws) => {
  members.add(ws)
  ws.on('close', () => members.delete(ws))
  ws.on('message', (data, binary) => {
    for (const m of members) m.send(data, { binary })
  })
})
const server = createServer((_req, res) => res.end('ws bench\n'))
server.on('upgrade', (req, socket, head) => {
  const wss = req.url === '/echo' ? echo : req.url === '/bcast' ? bcast : null
  if (wss === null) return socket.destroy()
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
})
const port = benchPort()
server.listen(port, '127.0.0.1', () => announce('ws', port))
