import { test } from 'node:test'
import assert from 'node:assert/strict'
import { httpDate } from '../../src/http/date.ts'

test('httpDate: IMF-fixdate, one string per second, and it follows the clock both ways', () => {
  const t = Date.UTC(2026, 10, 23, 9, 30, 15, 200)
  const first = httpDate(t)
  assert.equal(first, 'Mon, 23 Nov 2026 09:30:15 GMT')
  assert.equal(httpDate(t + 799), first, 'same second, same string')
  assert.equal(httpDate(t + 800), 'Mon, 23 Nov 2026 09:30:16 GMT', 'the next second')
  assert.equal(httpDate(t - 3_600_000), 'Mon, 23 Nov 2026 08:30:15 GMT', 'a clock set back')
  assert.match(httpDate(), /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/)
})
