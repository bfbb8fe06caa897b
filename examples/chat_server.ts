// A chat room: the page at `/` connects to the WebSocket endpoint `/chat`; every message a user
// sends is published to all the *other* users (pub/sub: one encoding per message, whatever the
// number of users). `registerChat(app)` adds the same two routes to another app (the demo).
import { pathToFileURL } from 'node:url'
import { App, serve, html } from 'weft'

interface ChatUser {
  name: string
}

export interface ChatOptions {
  /** Where the page is served (default '/'). */
  page?: string
  /** The WebSocket endpoint (default '/chat'). */
  endpoint?: string
}

let nextUser = 1

export function registerChat(app: App, options: ChatOptions = {}): App {
  const page = options.page ?? '/'
  const endpoint = options.endpoint ?? '/chat'
  app.get(page, () => html(chatPage(endpoint)))
  app.ws(
    endpoint,
    {
      upgrade(req): ChatUser {
        // ?name=... or a generated one; at most 32 characters of it.
        const name = (req.query.get('name') ?? '').trim().slice(0, 32)
        return { name: name === '' ? `user-${nextUser++}` : name }
      },
      open(ws) {
        ws.subscribe('room')
        ws.send(JSON.stringify({ type: 'welcome', name: ws.data.name }))
        ws.publish('room', JSON.stringify({ type: 'join', name: ws.data.name }))
      },
      message(ws, message) {
        if (typeof message !== 'string' || message.length > 4096) return
        ws.publish('room', JSON.stringify({ type: 'message', name: ws.data.name, text: message }))
      },
      close(ws) {
        // Unsubscribed already: this reaches everyone else.
        app.publish('room', JSON.stringify({ type: 'leave', name: ws.data.name }))
      },
    },
    { maxPayload: 64 * 1024 },
  )
  return app
}

function chatPage(endpoint: string): string {
  return `<!doctype html>
<meta charset="utf-8">
<title>weft chat</title>
<style>body{font:16px system-ui;margin:2em;max-width:40em} #log{list-style:none;padding:0} .me{color:#555}</style>
<h1>weft chat</h1>
<p id="status">connecting…</p>
<ul id="log"></ul>
<form id="form"><input id="text" autocomplete="off" size="40" placeholder="say something"> <button>Send</button></form>
<script type="module">
const log = document.getElementById('log')
const status = document.getElementById('status')
const show = (text, mine) => {
  const li = document.createElement('li')
  li.textContent = text
  if (mine) li.className = 'me'
  log.append(li)
}
const url = new URL(${JSON.stringify(endpoint)}, location.href)
url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
const params = new URLSearchParams(location.search)
if (params.has('name')) url.searchParams.set('name', params.get('name'))
const ws = new WebSocket(url)
ws.onopen = () => (status.textContent = 'connected')
ws.onclose = () => (status.textContent = 'disconnected')
ws.onmessage = (event) => {
  const m = JSON.parse(event.data)
  if (m.type === 'welcome') status.textContent = 'connected as ' + m.name
  else if (m.type === 'join') show(m.name + ' joined')
  else if (m.type === 'leave') show(m.name + ' left')
  else show(m.name + ': ' + m.text)
}
document.getElementById('form').onsubmit = (event) => {
  event.preventDefault()
  const input = document.getElementById('text')
  if (input.value === '' || ws.readyState !== WebSocket.OPEN) return
  ws.send(input.value)
  show('me: ' + input.value, true)
  input.value = ''
}
</script>
`
}

// Run as a program (not when imported by the demo).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = registerChat(new App())
  const server = await serve(app, { port: Number(process.env.PORT ?? 8080) })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close())
  console.log(`listening on ${server.url}`)
}
