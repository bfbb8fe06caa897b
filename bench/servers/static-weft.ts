// weft serving a folder as an application would: app.static() with its defaults (strong ETag,
// Last-Modified, ranges, the in-memory cache for small files).
import { App, serve } from 'weft'
import { announce, benchPort, staticDir } from './common.ts'

const app = new App().static('/', staticDir())
const server = await serve(app, { port: benchPort(), host: '127.0.0.1' })
announce('weft', server.port)
