import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startExample } from './spawn.ts'
import { inbox, openClient } from '../ws/server-helpers.ts'

test('examples/echo_server.ts echoes text and binary on /echo, with permessage-deflate', { timeout: 60_000 }, async () => {
  const example = await startExample('echo_server')
  try {
    const client = await openClient(`ws://127.0.0.1:${example.port}/echo`, { perMessageDeflate: true })
    assert.match(client.extensions, /permessage-deflate/)
    const box = inbox(client)
    const long = 'echo '.repeat(1000)
    client.send(long)
    client.send(Buffer.from([9, 8, 7]))
    assert.equal((await box.next()).text, long)
    const bin = await box.next()
    assert.equal(bin.binary, true)
    assert.deepEqual([...bin.data], [9, 8, 7])
    client.close()
    await box.closed
  } finally {
    const exit = await example.stop()
    assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${example.stderr()}`)
  }
})

test('examples/chat_server.ts serves its page and broadcasts to the other users', { timeout: 60_000 }, async () => {
  const example = await startExample('chat_server')
  try {
    const page = await fetch(`${example.url}/`)
    assert.match(await page.text(), /<title>weft chat<\/title>/)
    const a = await openClient(`ws://127.0.0.1:${example.port}/chat?name=ann`)
    const b = await openClient(`ws://127.0.0.1:${example.port}/chat?name=ben`)
    assert.deepEqual(JSON.parse((await inbox(a).next()).text), { type: 'welcome', name: 'ann' })
    assert.deepEqual(JSON.parse((await inbox(b).next()).text), { type: 'welcome', name: 'ben' })
    assert.deepEqual(JSON.parse((await inbox(a).next()).text), { type: 'join', name: 'ben' })
    a.send('hello')
    assert.deepEqual(JSON.parse((await inbox(b).next()).text), { type: 'message', name: 'ann', text: 'hello' })
    b.close()
    assert.deepEqual(JSON.parse((await inbox(a).next()).text), { type: 'leave', name: 'ben' })
    assert.equal(inbox(a).pending, 0, 'the sender never gets its own message back')
    a.close()
  } finally {
    const exit = await example.stop()
    assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${example.stderr()}`)
  }
})
