import { App, serve } from 'weft'

const app = new App()
app.get('/', () => 'Hello World!')

const server = await serve(app, { port: Number(process.env.PORT ?? 8080) })
console.log(`listening on ${server.url}`)
