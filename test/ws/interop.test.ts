// The WebSocket server against real peers: Python `websockets` (Debian's python3-websockets)
// and Chromium (playwright-core) running the chat example's page.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App } from 'weft'
import { withServer } from '../helpers/server.ts'
import { peer } from '../helpers/peers.ts'
import { registerChat } from '../../examples/chat_server.ts'
import { within, wsUrl } from './server-helpers.ts'

const PYTHON = '/usr/bin/python3'

// Echoes through the server: text, binary, a 200 KB message (compressed both ways), a ping,
// then a close with a code and reason; prints one line per check.
const PY_CLIENT = `
import asyncio, sys, websockets
async def main(url):
    async with websockets.connect(url, max_size=2**22) as ws:
        print('ext', ws.extensions[0].name if ws.extensions else 'none', flush=True)
        await ws.send('héllo'); r = await ws.recv(); assert r == 'héllo', r
        await ws.send(b'\\x00\\x01\\xff'); r = await ws.recv(); assert r == b'\\x00\\x01\\xff', r
        big = 'python ' * 30000
        await ws.send(big); r = await ws.recv(); assert r == big
        await (await ws.ping(b'py'))
        await ws.close(4321, 'done')
        print('close', ws.close_code, flush=True)
    print('ok', flush=True)
asyncio.run(main(sys.argv[1]))
`

test('Python websockets client echoes through the server (deflate on)', { skip: peer(PYTHON, ['-c', 'import websockets']).skip, timeout: 30_000 }, async () => {
  const closes: Array<[number, string]> = []
  const app = new App()
  app.ws('/echo', { message: (ws, m) => void ws.send(m), close: (_ws, code, reason) => closes.push([code, reason]) }, { deflate: true })
  await withServer(app, async (server) => {
    const child = spawn(PYTHON, ['-c', PY_CLIENT, wsUrl(server, '/echo')], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s))
    const code = await within(new Promise<number | null>((resolve) => child.once('exit', resolve)), 20_000, 'the Python client').finally(() => child.kill())
    assert.equal(code, 0, `stdout:\n${out}\nstderr:\n${err}`)
    assert.deepEqual(out.trim().split('\n'), ['ext permessage-deflate', 'close 4321', 'ok'])
    assert.deepEqual(closes, [[4321, 'done']])
  })
})

const CHROMIUM = '/usr/bin/chromium'

test('Chromium: two chat pages exchange messages', { skip: peer(CHROMIUM, ['--version']).skip, timeout: 60_000 }, async () => {
  const { chromium } = await import('playwright-core')
  const profile = mkdtempSync(join(tmpdir(), 'weft-chromium-'))
  const app = registerChat(new App())
  try {
    await withServer(app, async (server) => {
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        timeout: 20_000,
      })
      try {
        const alice = await browser.newPage()
        const bob = await browser.newPage()
        await alice.goto(`${server.url}/?name=alice`)
        await bob.goto(`${server.url}/?name=bob`)
        await alice.waitForFunction(`document.getElementById('status')?.textContent === 'connected as alice'`, undefined, { timeout: 10_000 })
        await bob.waitForFunction(`document.getElementById('status')?.textContent === 'connected as bob'`, undefined, { timeout: 10_000 })
        await alice.fill('#text', 'hi bob')
        await alice.press('#text', 'Enter')
        await bob.waitForFunction(`[...document.querySelectorAll('#log li')].some((li) => li.textContent === 'alice: hi bob')`, undefined, { timeout: 10_000 })
        await bob.fill('#text', 'hello alice')
        await bob.press('#text', 'Enter')
        await alice.waitForFunction(`[...document.querySelectorAll('#log li')].some((li) => li.textContent === 'bob: hello alice')`, undefined, { timeout: 10_000 })
        // The sender's own message is shown once, as "me:", never echoed back by the server.
        const aliceLog = await alice.$$eval('#log li', (items) => items.map((li) => li.textContent))
        assert.equal(aliceLog.filter((t) => t === 'alice: hi bob').length, 0)
        assert.equal(aliceLog.filter((t) => t === 'me: hi bob').length, 1)
      } finally {
        await browser.close()
      }
    })
  } finally {
    rmSync(profile, { recursive: true, force: true })
  }
})
