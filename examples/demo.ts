// The demo server: every feature of weft that has landed, on one port. A small static site
// (examples/public/) at `/`, a few routes, and the streaming example mounted at /streaming.
import { fileURLToPath } from 'node:url'
import { App, serve, json, HttpError } from 'weft'
import { compress } from 'weft/middleware'
import { createStreamingApp } from './streaming_server.ts'
import { registerChat } from './chat_server.ts'

const app = new App()
// Text answers (pages, JSON, the CSV download) are compressed for clients that accept it.
app.use(compress())

app.get('/hello', () => 'Hello World!')
app.get('/users/:id', (req) => ({ id: req.params.id }))
app.post('/echo', async (req) => json(await req.json(), { status: 201 }))
app.get('/stream', async function* (req) {
  for (let i = 1; i <= 5 && !req.signal.aborted; i++) {
    yield `tick ${i}\n`
    await new Promise((r) => setTimeout(r, 200))
  }
})
app.get('/cookies', (req) => json({ received: req.cookies }).cookie('visited', 'yes', { httpOnly: true, sameSite: 'Lax', path: '/' }))
app.get('/teapot', () => {
  throw new HttpError(418, "I'm a teapot")
})
app.route('/streaming', createStreamingApp({ base: '/streaming' }))
// The WebSocket chat (examples/chat_server.ts): its page at /chat-room, the socket at /chat.
registerChat(app, { page: '/chat-room', endpoint: '/chat' })
// Routes come first; the site fills in the rest (index.html at `/`).
app.static('/', fileURLToPath(new URL('./public/', import.meta.url)))

const port = Number(process.env.PORT ?? 8080)
// Cleartext: HTTP/1.1 and HTTP/2 with prior knowledge (`curl --http2-prior-knowledge`) on one
// port; each connection's first bytes decide.
const server = await serve(app, { port, http2: true })
// The same app over HTTPS on the next port, HTTP/2 and HTTP/1.1 side by side (ALPN decides),
// with the development-only certificate in examples/certs/ (PORT=0: a free port for each).
const certs = new URL('./certs/', import.meta.url)
const secure = await serve(app, {
  port: port === 0 ? 0 : port + 1,
  tls: { cert: fileURLToPath(new URL('dev.pem', certs)), key: fileURLToPath(new URL('dev.key', certs)) },
  http2: true,
})
// Ready to stop gracefully before telling anyone where to connect. Event streams never end on
// their own, so the close gives them two seconds before cutting them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void Promise.all([server.close({ timeout: 2_000 }), secure.close({ timeout: 2_000 })]))
console.log(`listening on ${server.url}`)
console.log(`HTTPS (HTTP/2 and HTTP/1.1, development certificate) on ${secure.url}`)
