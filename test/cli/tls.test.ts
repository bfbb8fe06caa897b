import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { killAll, runCli, startCli, type RunningCli } from './helpers.ts'
import { peer } from '../helpers/peers.ts'

// `weft serve --tls-cert --tls-key`: HTTPS with HTTP/2 and HTTP/1.1 on one port, checked with curl.

const FIXTURES = fileURLToPath(new URL('../fixtures/tls/', import.meta.url))
const curlPeer = peer('curl')
let dir: string

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-cli-tls-'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><h1>secure home</h1>')
})

after(() => {
  killAll()
  rmSync(dir, { recursive: true, force: true })
})

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['--silent', '--show-error', '--max-time', '10', ...args], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    })
  })
}

describe('weft serve --tls-cert --tls-key', { skip: curlPeer.skip }, () => {
  let cli: RunningCli
  before(async () => {
    cli = await startCli(['serve', dir, '--port', '0', '--tls-cert', `${FIXTURES}localhost.pem`, '--tls-key', `${FIXTURES}localhost.key`])
  })
  after(async () => {
    await cli?.stop()
  })

  test('prints an https URL and serves the folder over HTTP/2 and HTTP/1.1 on that port', async () => {
    assert.match(cli.url, /^https:\/\/127\.0\.0\.1:\d+$/)
    const url = `https://localhost:${new URL(cli.url).port}/`
    for (const [flag, version] of [
      ['--http2', '2'],
      ['--http1.1', '1.1'],
    ] as const) {
      const r = await curl([flag, '--cacert', `${FIXTURES}ca.pem`, '-w', '\n%{http_version}', url])
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(r.stdout.split('\n'), ['<!doctype html><h1>secure home</h1>', version])
    }
  })

  test('SIGTERM closes it and exits 0', async () => {
    const exit = await cli.stop('SIGTERM')
    assert.deepEqual(exit, { code: 0, signal: null }, cli.stderr())
  })
})

describe('weft serve TLS mistakes', () => {
  test('--tls-cert without --tls-key (and the reverse): exit code 2 and the usage', () => {
    for (const [args, message] of [
      [['--tls-cert', `${FIXTURES}localhost.pem`], /--tls-cert needs --tls-key/],
      [['--tls-key', `${FIXTURES}localhost.key`], /--tls-key needs --tls-cert/],
    ] as const) {
      const r = runCli(['serve', dir, '--port', '0', ...args])
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, message)
      assert.match(r.stderr, /Usage: weft serve/)
    }
  })

  test('a missing file or a key that does not match: exit code 2 with the reason', () => {
    const missing = runCli(['serve', dir, '--port', '0', '--tls-cert', join(dir, 'nope.pem'), '--tls-key', `${FIXTURES}localhost.key`])
    assert.equal(missing.code, 2, missing.stderr)
    assert.match(missing.stderr, /cannot use the TLS certificate: .*nope\.pem/)
    const mismatch = runCli(['serve', dir, '--port', '0', '--tls-cert', `${FIXTURES}localhost.pem`, '--tls-key', `${FIXTURES}other.key`])
    assert.equal(mismatch.code, 2, mismatch.stderr)
    assert.match(mismatch.stderr, /cannot use the TLS certificate/)
  })

  test('--help mentions the TLS options', () => {
    const r = runCli(['serve', '--help'])
    assert.match(r.stdout, /--tls-cert <f>/)
    assert.match(r.stdout, /--tls-key <f>/)
  })
})
