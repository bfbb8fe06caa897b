// The demo server: every feature of weft that has landed, on one port.
import { App, serve, json, html, HttpError } from 'weft'

const app = new App()

app.get('/', () =>
  html(`<!doctype html><title>weft demo</title><h1>weft demo</h1>
<ul>
  <li><a href="/hello">/hello</a>: plain text</li>
  <li><a href="/users/42">/users/42</a>: a route parameter, as JSON</li>
  <li><a href="/stream">/stream</a>: a streamed body with backpressure</li>
  <li><a href="/cookies">/cookies</a>: cookies in and out</li>
  <li>POST /echo with a JSON body: answers it back</li>
</ul>`),
)
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

const port = Number(process.env.PORT ?? 8080)
const server = await serve(app, { port })
// Ready to stop gracefully before telling anyone where to connect.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close())
console.log(`listening on ${server.url}`)
