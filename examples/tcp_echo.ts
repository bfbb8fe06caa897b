// A TCP echo server: every byte a client sends comes back. Try: nc 127.0.0.1 7000
import { listen, type Connection } from 'weft/net'

async function echo(conn: Connection): Promise<void> {
  // write() waits while the client is not reading, so a slow client cannot make us buffer.
  for await (const chunk of conn) await conn.write(chunk)
  await conn.end()
}

const listener = await listen({ port: Number(process.env.PORT ?? 7000), idleTimeout: 60_000 })
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void listener.close())
}
console.log(`listening on ${listener.url}`)

const open = new Set<Connection>()
for await (const conn of listener) {
  open.add(conn)
  echo(conn)
    .catch(() => conn.reset()) // a reset or idle timeout: nothing to tell the client
    .finally(() => open.delete(conn))
}
// The listener is closed: let the connections being served go, and exit.
await Promise.all([...open].map((conn) => conn.close({ timeout: 1000 })))
