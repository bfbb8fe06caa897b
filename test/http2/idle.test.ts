// HTTP/2 session idle timeout: a session that exchanges nothing is told to go away; one that
// keeps streaming is not.
import { mock, test } from 'node:test'
import type { ServerHttp2Session } from 'node:http2'
import assert from 'node:assert/strict'
import { App, type Request } from 'weft'
import { deferred, within } from '../helpers/wait.ts'
import { constants, goawayCode, h2connect, h2request, withH2 } from './helpers.ts'

test('an idle session gets GOAWAY(NO_ERROR) after idleTimeout; a new session is served', async () => {
  const a = new App()
  a.get('/ok', () => 'ok')
  await withH2(
    a,
    false,
    async (server) => {
      const session = await h2connect(server)
      assert.equal((await h2request(session, { ':path': '/ok' })).body, 'ok')
      assert.equal(await goawayCode(session, 5000), constants.NGHTTP2_NO_ERROR)
      const next = await h2connect(server)
      assert.equal((await h2request(next, { ':path': '/ok' })).body, 'ok')
      next.close()
    },
    { http2: { idleTimeout: 200 } },
  )
})

test('a session whose response keeps streaming is not closed as idle', async () => {
  const a = new App()
  // Writes a chunk every 40 ms for about 8 idle timeouts.
  a.get('/drip', (req: Request) =>
    (async function* () {
      for (let i = 0; i < 40 && !req.signal.aborted; i++) {
        yield `${i}\n`
        await new Promise((r) => setTimeout(r, 40))
      }
    })(),
  )
  await withH2(
    a,
    true,
    async (server) => {
      const session = await h2connect(server)
      let goaway = false
      session.on('goaway', () => (goaway = true))
      const answer = await within(h2request(session, { ':path': '/drip' }), 10_000, 'the dripped response')
      assert.equal(answer.body.split('\n').filter(Boolean).length, 40)
      assert.equal(goaway, false, 'no GOAWAY while the response was streaming')
      // Then silence: now it goes.
      assert.equal(await goawayCode(session, 5000), constants.NGHTTP2_NO_ERROR)
    },
    { http2: { idleTimeout: 200 } },
  )
})

test('the idle sweep passes over a session node has unbound from its socket but not yet closed', async () => {
  // The sweep's timer is driven by hand, so it runs exactly inside that window: a session the
  // server destroyed (here for a PING flood) whose socket is still closing.
  mock.timers.enable({ apis: ['setInterval'] })
  try {
    const swept = deferred<unknown>()
    const a = new App()
    a.get('/ok', () => 'ok')
    const onFlood = (_kind: string, session: ServerHttp2Session): void => {
      let polls = 0
      const poll = (): void => {
        let unbound = false
        try {
          void session.socket.bytesRead
        } catch {
          unbound = true
        }
        // Bounded, so a node that never unbinds fails the test instead of spinning on.
        if (!unbound && ++polls > 100_000) return void swept.resolve(new Error('the session was never unbound from its socket'))
        if (!unbound) return void setImmediate(poll)
        try {
          mock.timers.tick(250)
          swept.resolve(null)
        } catch (error) {
          swept.resolve(error)
        }
      }
      setImmediate(poll)
    }
    await withH2(
      a,
      false,
      async (server) => {
        const attacker = await h2connect(server, { maxOutstandingPings: 100 })
        for (let i = 0; i < 20; i++) attacker.ping(Buffer.alloc(8, i), () => {})
        assert.equal(await within(swept.promise, 5000, 'the sweep inside the window'), null, 'the sweep did not throw')
        const next = await h2connect(server)
        assert.equal((await h2request(next, { ':path': '/ok' })).body, 'ok')
        next.close()
      },
      { http2: { idleTimeout: 1000, maxPings: 5, onFlood } },
    )
  } finally {
    mock.timers.reset()
  }
})
