import type { Request } from '../request.ts'
import type { Response } from '../response.ts'
import type { EngineHooks } from './node-h1.ts'

/**
 * Runs the app for one request and never throws or rejects: errors that escape dispatch (a
 * value `toResponse` cannot serialize, a bug) become the fallback answer. A synchronous answer
 * stays synchronous, so the common case costs no promise.
 */
export function dispatchSafely(hooks: EngineHooks, req: Request): Response | Promise<Response> {
  let result: Response | Promise<Response>
  try {
    result = hooks.dispatch(req)
  } catch (error) {
    return hooks.fallback(error, req)
  }
  if (result instanceof Promise) return result.catch((error: unknown) => hooks.fallback(error, req))
  return result
}
