// UDP on loopback: send/receive with the sender, the bounded queue, broadcast and multicast.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { udp, bind, isNetError, type Datagram } from 'weft/net'
import { delay, text, within } from './helpers.ts'

test('udp.bind: datagrams round-trip on 127.0.0.1 with their sender', { timeout: 10_000 }, async () => {
  const a = await udp.bind()
  const b = await udp.bind({ address: '127.0.0.1' })
  try {
    assert.equal(a.address, '127.0.0.1')
    assert.equal(a.family, 'IPv4')
    assert.ok(a.port > 0)
    await a.send('ping', b.port, '127.0.0.1')
    const got = (await within(b.receive(), 5000, 'a datagram'))!
    assert.equal(text(got.data), 'ping')
    assert.equal(got.address, '127.0.0.1')
    assert.equal(got.port, a.port)
    await b.send(new Uint8Array([1, 2, 3]), got.port, got.address)
    for await (const d of a) {
      assert.deepEqual([...d.data], [1, 2, 3])
      break // leaving the loop keeps the socket open
    }
    await a.send('still open', b.port)
    assert.equal(text((await within(b.receive(), 5000, 'second datagram'))!.data), 'still open')
  } finally {
    await a.close()
    await b.close()
  }
})

test('udp: a node:dgram peer talks to a weft socket', { timeout: 10_000 }, async () => {
  const socket = await bind()
  const peer = createSocket('udp4')
  try {
    peer.bind(0, '127.0.0.1')
    await once(peer, 'listening')
    peer.send('from dgram', socket.port, '127.0.0.1')
    const d = (await within(socket.receive(), 5000, 'datagram'))!
    assert.equal(text(d.data), 'from dgram')
    assert.equal(d.port, peer.address().port)
    const reply = once(peer, 'message')
    await socket.send('reply', d.port, d.address)
    const [msg] = (await within(reply, 5000, 'reply')) as [Buffer]
    assert.equal(msg.toString(), 'reply')
  } finally {
    peer.close()
    await socket.close()
  }
})

test('udp: a slow consumer loses the oldest datagrams, counted in dropped', { timeout: 10_000 }, async () => {
  const receiver = await bind({ maxQueue: 4 })
  const sender = await bind()
  try {
    for (let i = 0; i < 10; i++) await sender.send(`m${i}`, receiver.port)
    for (let i = 0; i < 200 && receiver.pending + receiver.dropped < 10; i++) await delay(5)
    assert.equal(receiver.pending, 4)
    assert.equal(receiver.dropped, 6)
    const kept: string[] = []
    for (let i = 0; i < 4; i++) kept.push(text((await receiver.receive())!.data))
    assert.deepEqual(kept, ['m6', 'm7', 'm8', 'm9'])
  } finally {
    await receiver.close()
    await sender.close()
  }
})

test('udp: overflow "drop-newest" keeps the first datagrams', { timeout: 10_000 }, async () => {
  const receiver = await bind({ maxQueue: 3, overflow: 'drop-newest' })
  const sender = await bind()
  try {
    for (let i = 0; i < 6; i++) await sender.send(`m${i}`, receiver.port)
    for (let i = 0; i < 200 && receiver.pending + receiver.dropped < 6; i++) await delay(5)
    assert.equal(receiver.dropped, 3)
    const kept: string[] = []
    for (let i = 0; i < 3; i++) kept.push(text((await receiver.receive())!.data))
    assert.deepEqual(kept, ['m0', 'm1', 'm2'])
  } finally {
    await receiver.close()
    await sender.close()
  }
})

test('udp: close() ends the iteration after the queued datagrams', { timeout: 10_000 }, async () => {
  const receiver = await bind()
  const sender = await bind()
  await sender.send('last words', receiver.port)
  for (let i = 0; i < 200 && receiver.pending < 1; i++) await delay(5)
  const pending = (async () => {
    const got: Datagram[] = []
    for await (const d of receiver) got.push(d)
    return got
  })()
  await delay(10)
  await receiver.close()
  const got = await within(pending, 2000, 'iteration to end')
  assert.deepEqual(got.map((d) => text(d.data)), ['last words'])
  await assert.rejects(receiver.send('x', sender.port), (e: unknown) => isNetError(e, 'CLOSED'))
  assert.throws(() => receiver.setBroadcast(true), (e: unknown) => isNetError(e, 'CLOSED'))
  assert.equal(await receiver.receive(), null)
  await sender.close()
})

test('udp: binding a taken port is ADDRESS_IN_USE; an oversized datagram MESSAGE_TOO_LARGE', { timeout: 10_000 }, async () => {
  const a = await bind()
  try {
    await assert.rejects(bind({ port: a.port }), (e: unknown) => isNetError(e, 'ADDRESS_IN_USE'))
    await assert.rejects(a.send(Buffer.alloc(70_000), a.port), (e: unknown) => isNetError(e, 'MESSAGE_TOO_LARGE'))
  } finally {
    await a.close()
  }
})

test('udp: setBroadcast and the TTL setters work without error', async () => {
  const socket = await bind()
  try {
    socket.setBroadcast(true)
    socket.setBroadcast(false)
    socket.setTTL(32)
    socket.setMulticastTTL(1)
    socket.setMulticastLoopback(true)
  } finally {
    await socket.close()
  }
})

test('udp: multicast membership and delivery on loopback', { timeout: 10_000 }, async (t) => {
  const group = '239.255.77.77'
  const receiver = await bind({ address: '0.0.0.0', reuseAddr: true })
  const sender = await bind()
  try {
    try {
      receiver.addMembership(group, '127.0.0.1')
      sender.setMulticastInterface('127.0.0.1')
      sender.setMulticastLoopback(true)
    } catch (error) {
      t.skip(`the kernel refused multicast on loopback here: ${(error as Error).message}`)
      return
    }
    await sender.send('to the group', receiver.port, group)
    const got = await Promise.race([receiver.receive(), delay(2000).then(() => null)])
    if (got === null) {
      t.skip('multicast membership succeeded but loopback delivery does not happen on this host (no multicast route on lo)')
      return
    }
    assert.equal(text(got.data), 'to the group')
    receiver.dropMembership(group, '127.0.0.1')
  } finally {
    await receiver.close()
    await sender.close()
  }
})
