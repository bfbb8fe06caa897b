// Fastify over HTTP/2 (cleartext, `http2: true`), its defaults otherwise.
import Fastify from 'fastify'
import { announce, benchPort, HELLO } from './common.ts'

const app = Fastify({ logger: false, http2: true })
app.get('/', async () => HELLO)
app.get<{ Params: { id: string } }>('/users/:id', async (req) => ({ id: req.params.id }))

const port = benchPort()
await app.listen({ port, host: '127.0.0.1' })
announce('fastify-h2', port)
