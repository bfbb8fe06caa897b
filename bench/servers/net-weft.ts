// A weft/net TCP echo server: every byte a client sends comes back (memory phase of bench/net-phase.ts).
import { listen, type Connection } from 'weft/net'
import { announce, benchPort } from './common.ts'

async function echo(conn: Connection): Promise<void> {
  try {
    for await (const chunk of conn) await conn.write(chunk)
  } catch {
    // A client that goes away mid-echo is not the benchmark's concern.
  }
  await conn.close()
}

const listener = await listen({ port: benchPort(), host: '127.0.0.1' })
announce('weft/net', listener.port)
for await (const conn of listener) void echo(conn)
