/**
 * Ends an iterator without waiting for it: an async generator suspended in an `await` cannot
 * run its `finally` before that await settles, and nothing should wait for a producer whose
 * consumer (the client) has gone. Errors from its cleanup have nobody left to report to.
 */
export function releaseIterator(iterator: AsyncIterator<unknown> | Iterator<unknown> | null | undefined): void {
  try {
    const done = iterator?.return?.()
    if (done !== undefined) void Promise.resolve(done).catch(() => {})
  } catch {
    // The producer's own cleanup threw after the client left.
  }
}
