// Fastify with its defaults (no logger, no response schema).
import Fastify from 'fastify'
import { announce, benchPort, HELLO } from './common.ts'

const app = Fastify({ logger: false })
app.get('/', async () => HELLO)
app.get<{ Params: { id: string } }>('/users/:id', async (req) => ({ id: req.params.id }))

const port = benchPort()
await app.listen({ port, host: '127.0.0.1' })
announce('fastify', port)
