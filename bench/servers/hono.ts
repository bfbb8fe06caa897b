// Hono on @hono/node-server (web Request/Response adapted onto node:http).
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { announce, benchPort, HELLO } from './common.ts'

const app = new Hono()
app.get('/', (c) => c.text(HELLO))
app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }))

const port = benchPort()
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => announce('hono', port))
