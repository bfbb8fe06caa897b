// The connections of one route on one server, and the single timer that sweeps them all for
// heartbeats and idle timeouts (one interval per group, not a timer per connection).
//
// Each sweep, per connection:
//   - something arrived since the last sweep (any frame, pongs included): all is well, reset;
//   - a ping was sent at the last sweep and nothing came back: the peer is dead, terminate;
//   - nothing arrived for `idleTimeout`: close with 1000 'idle timeout';
//   - otherwise, with the heartbeat on: send a ping.
// So a peer that answers pings is never idle; the idle timeout matters when the heartbeat is
// off, or for peers that answer nothing at all (they are terminated one interval after a ping).
import { type ConnectionConfig, type WebSocket, OPEN } from './connection.ts'
import type { PubSub } from './pubsub.ts'
import type { DeflateOptions } from './permessage-deflate.ts'
import type { WebSocketHandlers } from './types.ts'

type Conn = WebSocket<unknown>

export interface GroupSettings {
  handlers: WebSocketHandlers<never>
  maxPayload: number
  maxBackpressure: number
  closeTimeout: number
  deflateOptions: Omit<DeflateOptions, 'limiter'>
  /** Ping interval in ms; 0 for no heartbeat. */
  heartbeat: number
  /** Idle timeout in ms; 0 for none. */
  idleTimeout: number
}

export class ConnectionGroup implements ConnectionConfig<never> {
  readonly connections = new Set<Conn>()
  readonly handlers: WebSocketHandlers<never>
  readonly maxPayload: number
  readonly maxBackpressure: number
  readonly closeTimeout: number
  readonly deflateOptions: Omit<DeflateOptions, 'limiter'>
  readonly pubsub: PubSub | null
  readonly group = this
  private readonly tick: number
  private readonly heartbeat: boolean
  private readonly idleTicks: number
  private timer: NodeJS.Timeout | null = null

  constructor(settings: GroupSettings, pubsub: PubSub | null) {
    this.handlers = settings.handlers
    this.maxPayload = settings.maxPayload
    this.maxBackpressure = settings.maxBackpressure
    this.closeTimeout = settings.closeTimeout
    this.deflateOptions = settings.deflateOptions
    this.pubsub = pubsub
    this.heartbeat = settings.heartbeat > 0
    // With a heartbeat the sweep runs at its interval (the idle timeout is then rounded up to a
    // whole number of intervals); without, four times per idle timeout.
    this.tick = this.heartbeat ? settings.heartbeat : settings.idleTimeout > 0 ? Math.max(1, Math.ceil(settings.idleTimeout / 4)) : 0
    this.idleTicks = settings.idleTimeout > 0 && this.tick > 0 ? Math.max(1, Math.ceil(settings.idleTimeout / this.tick)) : 0
  }

  add(ws: Conn): void {
    this.connections.add(ws)
    if (this.timer === null && this.tick > 0) {
      this.timer = setInterval(sweep, this.tick, this)
      // The sweep must not keep the process alive; open sockets do that.
      this.timer.unref()
    }
  }

  remove(ws: Conn): void {
    this.connections.delete(ws)
    if (this.connections.size === 0 && this.timer !== null) {
      clearInterval(this.timer)
      this.timer = null
    }
  }

  /** @internal One pass over the connections (the interval's callback; tests may call it). */
  sweep(): void {
    for (const ws of this.connections) {
      if (ws.readyState !== OPEN) continue
      if (ws.seen) {
        ws.seen = false
        ws.pinged = false
        ws.idleTicks = 0
        continue
      }
      if (ws.pinged) {
        ws.terminate()
        continue
      }
      if (this.idleTicks > 0 && ++ws.idleTicks >= this.idleTicks) {
        ws.close(1000, 'idle timeout')
        continue
      }
      if (this.heartbeat) {
        ws.pinged = true
        ws.ping()
      }
    }
  }
}

function sweep(group: ConnectionGroup): void {
  group.sweep()
}
