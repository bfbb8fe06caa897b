// Helpers for the WebSocket server tests: a `ws` client with bounded waits, and a raw client
// over node:net that speaks frames by hand (to send what a real client never would).
import { connect, type Socket } from 'node:net'
import WS from 'ws'
import type { Server } from 'weft'
import { FrameParser, generateKey, type FrameHandler } from '../../src/ws/index.ts'
import { within } from '../helpers/wait.ts'

export { within }

export function wsUrl(server: Server, path: string): string {
  return server.url.replace(/^http/, 'ws') + path
}

/** Opens a `ws` client; rejects on an error or a non-101 answer (with the status in the message). */
export function openClient(url: string, options: WS.ClientOptions = {}, protocols?: string | string[]): Promise<WS> {
  return within(
    new Promise<WS>((resolve, reject) => {
      const client = new WS(url, protocols, options)
      // Attached before 'open': a message sent by the server's open handler may come with the 101.
      inboxes.set(client, new Inbox(client))
      client.once('open', () => resolve(client))
      client.once('error', reject)
      client.once('unexpected-response', (_req, res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (s: string) => (body += s))
        res.on('end', () => reject(Object.assign(new Error(`status ${res.statusCode}: ${body}`), { status: res.statusCode, headers: res.headers, body })))
      })
    }),
    5000,
    'the WebSocket to open',
  )
}

const inboxes = new WeakMap<WS, Inbox>()

/** The inbox of a client opened with openClient (collecting since before 'open'). */
export function inbox(client: WS): Inbox {
  return inboxes.get(client) ?? new Inbox(client)
}

/** Collects a client's messages; `next()` waits (bounded) for the next one. */
export class Inbox {
  private readonly items: Array<{ data: Buffer; binary: boolean }> = []
  private waiter: (() => void) | null = null
  private readonly closing: Promise<{ code: number; reason: string }>

  constructor(readonly client: WS) {
    client.on('message', (data: Buffer, binary: boolean) => {
      this.items.push({ data, binary })
      this.waiter?.()
    })
    this.closing = new Promise((resolve) => client.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })))
  }

  /** The close code and reason (a bounded wait). */
  get closed(): Promise<{ code: number; reason: string }> {
    return within(this.closing, 8000, 'the client to close')
  }

  async next(ms = 5000): Promise<{ data: Buffer; binary: boolean; text: string }> {
    if (this.items.length === 0) {
      await within(new Promise<void>((resolve) => (this.waiter = resolve)), ms, 'a message')
      this.waiter = null
    }
    const m = this.items.shift()!
    return { ...m, text: m.data.toString() }
  }

  get pending(): number {
    return this.items.length
  }
}

export type RawEvent = ['text', string] | ['binary', Buffer] | ['ping', string] | ['pong', string] | ['close', number, string] | ['error', number, string]

/** A hand-driven client: raw handshake, raw frames out, server frames parsed by weft's parser (client role). */
export class RawClient implements FrameHandler {
  readonly events: RawEvent[] = []
  /** First byte of every frame header received after the handshake (for RSV1 checks). */
  readonly chunks: Buffer[] = []
  private waiter: (() => void) | null = null
  private readonly parser = new FrameParser(this, { role: 'client', maxPayload: Infinity })
  readonly ended: Promise<void>

  private constructor(
    readonly socket: Socket,
    readonly status: number,
    readonly head: string,
    rest: Buffer,
  ) {
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('data', (chunk: Buffer) => this.feed(chunk))
    socket.on('error', () => {})
    if (rest.length > 0) this.feed(rest)
  }

  private feed(chunk: Buffer): void {
    this.chunks.push(Buffer.from(chunk))
    this.parser.push(Buffer.from(chunk))
  }

  /** Connects and sends an upgrade request (headers override the defaults; null removes one). */
  static async connect(port: number, path: string, headers: Record<string, string | null> = {}, method = 'GET'): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    const all: Record<string, string | null> = {
      host: `127.0.0.1:${port}`,
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': generateKey(),
      'sec-websocket-version': '13',
      ...headers,
    }
    let req = `${method} ${path} HTTP/1.1\r\n`
    for (const [k, v] of Object.entries(all)) if (v !== null) req += `${k}: ${v}\r\n`
    socket.write(req + '\r\n')
    return within(
      new Promise<RawClient>((resolve, reject) => {
        let buf = Buffer.alloc(0)
        const onData = (chunk: Buffer): void => {
          buf = Buffer.concat([buf, chunk])
          const end = buf.indexOf('\r\n\r\n')
          if (end === -1) return
          socket.off('data', onData)
          socket.off('error', reject)
          const head = buf.subarray(0, end).toString('latin1')
          const status = Number(head.split(' ')[1])
          resolve(new RawClient(socket, status, head, buf.subarray(end + 4)))
        }
        socket.on('data', onData)
        socket.on('error', reject)
      }),
      5000,
      'the upgrade answer',
    )
  }

  header(name: string): string | undefined {
    for (const line of this.head.split('\r\n').slice(1)) {
      const i = line.indexOf(':')
      if (line.slice(0, i).trim().toLowerCase() === name) return line.slice(i + 1).trim()
    }
    return undefined
  }

  send(...frames: Buffer[]): void {
    for (const f of frames) this.socket.write(f)
  }

  /** Waits (bounded) until `count` events have arrived. */
  async waitEvents(count: number, ms = 5000): Promise<RawEvent[]> {
    while (this.events.length < count) await within(new Promise<void>((resolve) => (this.waiter = resolve)), ms, `${count} frames`)
    return this.events
  }

  /** Waits for the close frame, then returns its code and reason. */
  async closeFrame(ms = 5000): Promise<[number, string]> {
    for (;;) {
      const found = this.events.find((e) => e[0] === 'close')
      if (found !== undefined) return [found[1] as number, found[2] as string]
      await within(new Promise<void>((resolve) => (this.waiter = resolve)), ms, 'a close frame')
    }
  }

  private push(e: RawEvent): void {
    this.events.push(e)
    this.waiter?.()
  }
  onMessage(data: Buffer, binary: boolean): void {
    this.push(binary ? ['binary', Buffer.from(data)] : ['text', data.toString()])
  }
  onPing(data: Buffer): void {
    this.push(['ping', data.toString()])
  }
  onPong(data: Buffer): void {
    this.push(['pong', data.toString()])
  }
  onClose(code: number, reason: string): void {
    this.push(['close', code, reason])
  }
  onError(code: number, message: string): void {
    this.push(['error', code, message])
  }
}
