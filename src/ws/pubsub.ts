// Topics for the connections of one app: subscribe, unsubscribe, publish. A publish encodes
// the message once and writes that same Buffer to every subscriber; with permessage-deflate it
// also compresses once for all the subscribers that can share a compressed frame.
import { type WebSocket, OPEN } from './connection.ts'
import { deflateMessage } from './permessage-deflate.ts'
import { encodeFrame } from './frame-writer.ts'
import { Opcode } from './opcodes.ts'
import { messageOpcode, messagePayload } from './message-kind.ts'
import { Pending } from './send-queue.ts'
import type { SendOptions, WebSocketData } from './types.ts'

type Conn = WebSocket<unknown>

/** A compressed frame being made for the subscribers that can share it. */
interface SharedDeflate {
  pending: Pending
  waiting: Conn[]
}

export class PubSub {
  private readonly topics = new Map<string, Set<Conn>>()
  /** Connections holding broadcast frames until the end of the tick. */
  private held: Conn[] = []
  private readonly flushHeld = (): void => {
    const held = this.held
    this.held = []
    for (const ws of held) ws.flushBatch()
  }

  subscribe(ws: Conn, topic: string): boolean {
    const own = (ws.topicSet ??= new Set())
    if (own.has(topic)) return false
    own.add(topic)
    let subs = this.topics.get(topic)
    if (subs === undefined) this.topics.set(topic, (subs = new Set()))
    subs.add(ws)
    return true
  }

  unsubscribe(ws: Conn, topic: string): boolean {
    const own = ws.topicSet
    if (own === null || !own.delete(topic)) return false
    this.leave(ws, topic)
    return true
  }

  /** Called when a connection closes. */
  unsubscribeAll(ws: Conn): void {
    const own = ws.topicSet
    if (own === null) return
    ws.topicSet = null
    for (const topic of own) this.leave(ws, topic)
  }

  private leave(ws: Conn, topic: string): void {
    const subs = this.topics.get(topic)
    if (subs === undefined) return
    subs.delete(ws)
    if (subs.size === 0) this.topics.delete(topic)
  }

  /** Open subscribers of a topic. */
  subscribers(topic: string): number {
    return this.topics.get(topic)?.size ?? 0
  }

  /**
   * Sends a message to every open subscriber of `topic` except `except`; returns how many
   * accepted it (a subscriber over its backpressure limit drops it and is closed).
   */
  publish(topic: string, data: WebSocketData, options?: SendOptions, except?: Conn): number {
    const subs = this.topics.get(topic)
    if (subs === undefined) return 0
    const payload = messagePayload(data)
    const opcode = messageOpcode(data, options)
    const compress = options?.compress
    let length = -1
    let plain: Buffer | null = null
    let shared: Map<number, SharedDeflate> | null = null
    let count = 0
    for (const ws of subs) {
      if (ws === except || ws.readyState !== OPEN) continue
      const deflate = ws.deflate
      if (deflate !== null && compress !== false && deflate.canCompress) {
        if (length < 0) length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length
        if (compress === true || length >= deflate.threshold) {
          const params = deflate.params
          if (ws.isServer && params.serverNoContextTakeover) {
            // A fresh-context frame fits any connection that resets its context per message
            // and whose peer accepts this window size: one compression per window size.
            const bits = params.serverMaxWindowBits
            shared ??= new Map()
            let job = shared.get(bits)
            if (job === undefined) {
              job = { pending: new Pending(length), waiting: [] }
              shared.set(bits, job)
              startShared(job, opcode, payload, bits, ws)
            }
            if (ws.sendPending(job.pending) !== 'dropped') {
              job.waiting.push(ws)
              count++
            }
          } else if (ws.send(payload, { binary: opcode === Opcode.Binary, compress: true }) !== 'dropped') {
            // Context takeover: this connection's own compressor must see every message.
            count++
          }
          continue
        }
      }
      plain ??= encodeFrame(opcode, payload, false)
      const first = !ws.holding
      if (ws.holdBroadcast(plain) === 'dropped') continue
      count++
      if (first) {
        // One microtask per tick writes every held frame (in publish order, before anything
        // sent later: the connection flushes its held frames before any other send).
        if (this.held.length === 0) queueMicrotask(this.flushHeld)
        this.held.push(ws)
      }
    }
    return count
  }
}

function startShared(job: SharedDeflate, opcode: number, payload: string | Uint8Array, bits: number, first: Conn): void {
  const input = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length)
  deflateMessage(input, bits, first.config.deflateOptions, (error, out) => {
    // On failure the message goes uncompressed (always allowed).
    job.pending.frame = error === null ? encodeFrame(opcode, out!, false, true, true) : encodeFrame(opcode, payload, false)
    for (const ws of job.waiting) ws.flush()
  })
}
