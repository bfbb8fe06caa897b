import { createSocket, type Socket as DgramSocket, type SocketOptions } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { NetError, toNetError } from './errors.ts'
import { BoundedQueue } from './queue.ts'

export interface BindOptions {
  /** UDP port (default 0: the system picks one, see `socket.port`). */
  port?: number
  /** Address to bind (default '127.0.0.1'; '0.0.0.0' or '::' for every interface). */
  address?: string
  /** 'udp4' or 'udp6' (default: from `address`). */
  type?: 'udp4' | 'udp6'
  /** SO_REUSEADDR, e.g. for several multicast listeners on one port. */
  reuseAddr?: boolean
  /** With a udp6 socket on '::': IPv6 only. */
  ipv6Only?: boolean
  /** Kernel receive and send buffer sizes (SO_RCVBUF, SO_SNDBUF). */
  recvBufferSize?: number
  sendBufferSize?: number
  /** Datagrams received but not yet taken by the program (default 1024). */
  maxQueue?: number
  /**
   * Which datagram to lose when the queue is full (default 'drop-oldest': a slow consumer sees
   * the most recent data, which is what telemetry and discovery traffic want). Either way the
   * loss is counted in `dropped`.
   */
  overflow?: 'drop-oldest' | 'drop-newest'
  /** Closes the socket when it aborts. */
  signal?: AbortSignal
}

/** One received datagram and its sender. */
export interface Datagram {
  readonly data: Uint8Array
  readonly address: string
  readonly port: number
  readonly family: 'IPv4' | 'IPv6'
}

export const UDP_DEFAULTS = { address: '127.0.0.1', port: 0, maxQueue: 1024, overflow: 'drop-oldest' } as const

/** A bound UDP socket: `send()` datagrams, and iterate the ones that arrive. */
export class UdpSocket implements AsyncIterable<Datagram> {
  /** The underlying node:dgram socket, for what weft does not cover. */
  readonly node: DgramSocket
  readonly address: string
  readonly port: number
  readonly family: 'IPv4' | 'IPv6'

  #queue: BoundedQueue<Datagram>
  #dropOldest: boolean
  #dropped = 0
  #waiter: { resolve: (d: Datagram | null) => void; reject: (e: NetError) => void } | null = null
  #error: NetError | null = null
  #closed = false
  #closing: Promise<void> | null = null
  #onAbort: (() => void) | null = null
  #signal: AbortSignal | undefined

  constructor(socket: DgramSocket, options: BindOptions) {
    this.node = socket
    const bound = socket.address()
    this.address = bound.address
    this.port = bound.port
    this.family = bound.family === 'IPv6' ? 'IPv6' : 'IPv4'
    this.#queue = new BoundedQueue(options.maxQueue ?? UDP_DEFAULTS.maxQueue)
    this.#dropOldest = (options.overflow ?? UDP_DEFAULTS.overflow) === 'drop-oldest'
    socket.on('message', (data: Buffer, rinfo) => this.#onMessage({ data, address: rinfo.address, port: rinfo.port, family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4' }))
    socket.on('error', (error: Error) => this.#onError(toNetError(error, 'udp')))
    socket.on('close', () => this.#onClose())
    if (options.signal !== undefined) {
      this.#signal = options.signal
      this.#onAbort = () => void this.close()
      options.signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  /** Datagrams lost because the queue was full. */
  get dropped(): number {
    return this.#dropped
  }

  /** Datagrams waiting to be taken. */
  get pending(): number {
    return this.#queue.size
  }

  /**
   * Sends one datagram. `host` defaults to the loopback address of the socket's family.
   * Rejects with `MESSAGE_TOO_LARGE`, `HOST_UNREACHABLE`, `CLOSED`, ...
   */
  send(data: Uint8Array | string, port: number, host?: string): Promise<void> {
    if (this.#closed) return Promise.reject(new NetError('CLOSED', 'send() on a closed UDP socket'))
    const to = host ?? (this.family === 'IPv6' ? '::1' : '127.0.0.1')
    return new Promise((resolve, reject) => {
      try {
        this.node.send(data, port, to, (error) => (error ? reject(toNetError(error, `send to ${to}:${port}`)) : resolve()))
      } catch (error) {
        reject(toNetError(error, `send to ${to}:${port}`))
      }
    })
  }

  /** The next datagram; null once the socket is closed and the queue is empty. */
  receive(): Promise<Datagram | null> {
    const next = this.#queue.shift()
    if (next !== undefined) return Promise.resolve(next)
    if (this.#error !== null) return Promise.reject(this.#error)
    if (this.#closed) return Promise.resolve(null)
    if (this.#waiter !== null) return Promise.reject(new TypeError('UdpSocket.receive(): another receive is still pending'))
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }))
  }

  /** Datagrams until close(). Leaving the loop does not close the socket. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Datagram, void, undefined> {
    for (let d = await this.receive(); d !== null; d = await this.receive()) yield d
  }

  setBroadcast(flag: boolean): void {
    this.#sync('setBroadcast', () => this.node.setBroadcast(flag))
  }

  /** Unicast TTL (IP_TTL / IPV6_UNICAST_HOPS). */
  setTTL(ttl: number): void {
    this.#sync('setTTL', () => void this.node.setTTL(ttl))
  }

  setMulticastTTL(ttl: number): void {
    this.#sync('setMulticastTTL', () => void this.node.setMulticastTTL(ttl))
  }

  /** Whether this host's own multicast sends come back to it (default true in the kernel). */
  setMulticastLoopback(flag: boolean): void {
    this.#sync('setMulticastLoopback', () => void this.node.setMulticastLoopback(flag))
  }

  /** The interface outgoing multicast leaves from (an address of that interface). */
  setMulticastInterface(interfaceAddress: string): void {
    this.#sync('setMulticastInterface', () => this.node.setMulticastInterface(interfaceAddress))
  }

  /** Joins a multicast group, on one interface (by address) or the kernel's choice. */
  addMembership(group: string, interfaceAddress?: string): void {
    this.#sync('addMembership', () => this.node.addMembership(group, interfaceAddress))
  }

  dropMembership(group: string, interfaceAddress?: string): void {
    this.#sync('dropMembership', () => this.node.dropMembership(group, interfaceAddress))
  }

  /**
   * Stops receiving. Datagrams already queued can still be taken; after them the iteration ends.
   */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing
    this.#closed = true
    if (this.#onAbort !== null) this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#closing = new Promise((resolve) => {
      try {
        this.node.close(() => resolve())
      } catch {
        resolve() // already closed underneath us (an error closed it)
      }
    })
    return this.#closing
  }

  #sync(what: string, fn: () => void): void {
    if (this.#closed) throw new NetError('CLOSED', `${what}() on a closed UDP socket`)
    try {
      fn()
    } catch (error) {
      throw toNetError(error, what)
    }
  }

  #onMessage(datagram: Datagram): void {
    const waiter = this.#waiter
    if (waiter !== null) {
      this.#waiter = null
      waiter.resolve(datagram)
      return
    }
    if (this.#queue.push(datagram)) return
    this.#dropped++
    if (this.#dropOldest) {
      this.#queue.shift()
      this.#queue.push(datagram)
    }
  }

  #onError(error: NetError): void {
    this.#error ??= error
    const waiter = this.#waiter
    this.#waiter = null
    waiter?.reject(error)
    void this.close()
  }

  #onClose(): void {
    this.#closed = true
    const waiter = this.#waiter
    this.#waiter = null
    waiter?.resolve(null)
  }
}

/** Binds a UDP socket. Resolves once bound; rejects with `ADDRESS_IN_USE`, ... */
export async function bind(options: BindOptions = {}): Promise<UdpSocket> {
  const address = options.address ?? UDP_DEFAULTS.address
  const type = options.type ?? (isIPv6(address) ? 'udp6' : 'udp4')
  if (options.signal?.aborted === true) throw new NetError('ABORTED', 'bind(): the signal was already aborted')
  const socketOptions: SocketOptions = { type }
  if (options.reuseAddr !== undefined) socketOptions.reuseAddr = options.reuseAddr
  if (options.ipv6Only !== undefined) socketOptions.ipv6Only = options.ipv6Only
  if (options.recvBufferSize !== undefined) socketOptions.recvBufferSize = options.recvBufferSize
  if (options.sendBufferSize !== undefined) socketOptions.sendBufferSize = options.sendBufferSize
  const socket = createSocket(socketOptions)
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      try {
        socket.close()
      } catch {
        // never bound: nothing to close
      }
      reject(toNetError(error, 'bind'))
    }
    socket.once('error', onError)
    socket.bind({ port: options.port ?? UDP_DEFAULTS.port, address }, () => {
      socket.off('error', onError)
      resolve()
    })
  })
  return new UdpSocket(socket, options)
}
