import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { httpDate } from '../../src/http/date.ts'

const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/

test('httpDate: IMF-fixdate for the current second, one string for all of it', () => {
  const before = Math.floor(Date.now() / 1000) * 1000
  const value = httpDate()
  assert.match(value, IMF_FIXDATE)
  const at = Date.parse(value)
  assert.ok(at >= before - 1000 && at <= Date.now(), `${value} is the current second`)
  assert.equal(httpDate(), value, 'same string while the second lasts')
})

test('httpDate: a new second brings a new string', async () => {
  const first = httpDate()
  // Past the next second boundary: the cached string must have been replaced by then.
  await sleep(1100 - (Date.now() % 1000))
  const next = httpDate()
  assert.match(next, IMF_FIXDATE)
  assert.ok(Date.parse(next) > Date.parse(first), `${next} follows ${first}`)
})
