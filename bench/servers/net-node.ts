// The same echo server on raw node:net, as the baseline for weft/net's memory per connection.
import { createServer } from 'node:net'
import { announce, benchPort } from './common.ts'

const port = benchPort()
const server = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => socket.destroy())
  socket.pipe(socket)
})
server.listen(port, '127.0.0.1', () => announce('node:net', port))
