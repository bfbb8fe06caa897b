// weft over HTTP/2 for the h2 phase: the same two routes as servers/weft.ts, with `http2: true`
// (cleartext, prior knowledge through the preface check), or over TLS when BENCH_TLS=1.
import { App, serve } from 'weft'
import { fileURLToPath } from 'node:url'
import { announce, benchPort, HELLO } from './common.ts'

const app = new App()
app.get('/', () => HELLO)
app.get('/users/:id', (req) => ({ id: req.params.id }))

const fixtures = fileURLToPath(new URL('../../test/fixtures/tls/', import.meta.url))
const tls = process.env.BENCH_TLS === '1' ? { cert: `${fixtures}localhost.pem`, key: `${fixtures}localhost.key` } : undefined
const port = benchPort()
await serve(app, { port, http2: true, ...(tls === undefined ? {} : { tls }) })
announce('weft-h2', port)
