// Fastify 5 with @fastify/static, defaults (ETag, Last-Modified, ranges; files read per request).
import Fastify from 'fastify'
import fastifyStatic from '@fastify/static'
import { announce, benchPort, staticDir } from './common.ts'

const app = Fastify({ logger: false })
await app.register(fastifyStatic, { root: staticDir() })
const port = benchPort()
await app.listen({ port, host: '127.0.0.1' })
announce('fastify', port)
