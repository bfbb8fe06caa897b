import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import type { Server as NodeServer } from 'node:http'
import type { TlsServerConfig } from '../../tls/server.ts'
import type { H2Engine } from './node-h2.ts'
import { mirrorLifecycle, prefacePeeker } from './preface.ts'

/**
 * The server that listens, in front of the engines. Over cleartext HTTP/1.1 alone the
 * node:http server listens itself (no layer in between). Otherwise connections are accepted
 * here and handed over whole: by ALPN after the TLS handshake, or by the connection preface
 * over cleartext. Both engines thus keep all their own options (timeouts, header limits,
 * WebSocket upgrades on HTTP/1.1), which node:http2's `allowHTTP1` would not: it runs
 * HTTP/1.1 through http2's compatibility layer with its own defaults.
 */
export function createFront(h1: NodeServer, h2: H2Engine | null, tls: TlsServerConfig | null, peekTimeout: number): Front {
  if (tls === null) {
    if (h2 === null) return { server: h1, destroyAll: () => h1.closeAllConnections() }
    const live = new LiveSockets()
    // Paused on accept: the peek reads the preface and nothing past it.
    const front = createNetServer({ noDelay: true, pauseOnConnect: true })
    front.on('connection', prefacePeeker(h1, (socket) => h2.accept(socket), peekTimeout, live.add))
    mirrorLifecycle(front, h1)
    return { server: front, destroyAll: live.destroyAll }
  }
  const front = createTlsServer({
    ...tls.serverOptions(),
    // Only what this server speaks; a client offering neither gets no ALPN answer and HTTP/1.1.
    ALPNProtocols: h2 === null ? ['http/1.1'] : ['h2', 'http/1.1'],
    noDelay: true,
  })
  tls.attach(front)
  front.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2' && h2 !== null) h2.accept(socket)
    else h1.emit('connection', socket)
  })
  // Failed handshakes (an old TLS version, an unknown CA) are the client's problem; node:tls
  // drops the socket, and a listener here keeps them from being reported as server errors.
  front.on('tlsClientError', () => {})
  const live = new LiveSockets()
  front.on('connection', live.add)
  mirrorLifecycle(front, h1)
  return { server: front, destroyAll: live.destroyAll }
}

export interface Front {
  /** The listening server. */
  server: NetServer
  /** Destroys every connection it accepted, whichever engine has it (or none yet: mid-handshake). */
  destroyAll(): void
}

/** The connections a front accepted, for the close deadline; only servers with a front pay for it. */
class LiveSockets {
  readonly #sockets = new Set<Socket>()

  readonly add = (socket: Socket): void => {
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
  }

  readonly destroyAll = (): void => {
    for (const socket of this.#sockets) socket.destroy()
  }
}
