// weft as an application would use it: App, two routes, serve() with its defaults.
import { App, serve } from 'weft'
import { announce, benchPort, HELLO, keepAliveMs } from './common.ts'

const app = new App()
app.get('/', () => HELLO)
app.get('/users/:id', (req) => ({ id: req.params.id }))

const keepAlive = keepAliveMs()
const server = await serve(app, { port: benchPort(), host: '127.0.0.1', ...(keepAlive === undefined ? {} : { keepAliveTimeout: keepAlive }) })
announce('weft', server.port)
