import type { Request } from '../http/request.ts'
import type { Response } from '../http/response.ts'
import { toResponse } from '../http/result.ts'
import { HttpError } from '../http/errors.ts'
import type { Dispatch, ErrorHandler, Handler, Middleware } from '../app/types.ts'

/**
 * Builds the function that runs `middleware` around `handler`. Each layer turns its own
 * errors into a response with `onError`, so `next()` always resolves to a Response and outer
 * layers (a logger, CORS) see the real status. The composition happens once per route, not per
 * request; the only per-request allocations are the `next` closures of the layers that run.
 */
export function compose(middleware: readonly Middleware[], handler: Handler, onError: (error: unknown, req: Request) => Response | Promise<Response>): Dispatch {
  let run: Dispatch = (req) => settle(handler, req, onError)
  for (let i = middleware.length - 1; i >= 0; i--) {
    const layer = middleware[i]!
    const inner = run
    run = (req) => {
      let called = false
      const next = (): Promise<Response> => {
        if (called) return Promise.reject(new Error('next() called more than once'))
        called = true
        return Promise.resolve(inner(req))
      }
      return settle2(layer, req, next, onError)
    }
  }
  return run
}

// The two settle functions are the same except for the call's arity; keeping them separate
// keeps each call site monomorphic.
function settle(fn: Handler, req: Request, onError: (error: unknown, req: Request) => Response | Promise<Response>): Response | Promise<Response> {
  let out: unknown
  try {
    out = fn(req)
  } catch (error) {
    return onError(error, req)
  }
  if (isThenable(out)) return settleLater(out, req, onError)
  return toResponse(out)
}

function settle2(fn: Middleware, req: Request, next: () => Promise<Response>, onError: (error: unknown, req: Request) => Response | Promise<Response>): Response | Promise<Response> {
  let out: unknown
  try {
    out = fn(req, next)
  } catch (error) {
    return onError(error, req)
  }
  if (isThenable(out)) return settleLater(out, req, onError)
  return toResponse(out)
}

/**
 * An asynchronous result's wait, apart from the settle functions: a closure in them would make
 * V8 give every call a context for what it captures, synchronous results included.
 */
function settleLater(out: PromiseLike<unknown>, req: Request, onError: (error: unknown, req: Request) => Response | Promise<Response>): Promise<Response> {
  return asPromise(out).then(toResponse, (error: unknown) => onError(error, req))
}

// Native promises are used as they are; other thenables are adopted so callers always get a
// real Promise (the engines test `instanceof Promise`).
function asPromise(value: PromiseLike<unknown>): Promise<unknown> {
  return value instanceof Promise ? value : Promise.resolve(value)
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function'
}

/** Wraps a user error hook so that it always yields a Response, falling back when it throws. */
export function errorResponder(hook: ErrorHandler | null, fallback: (error: unknown) => Response): (error: unknown, req: Request) => Response | Promise<Response> {
  if (hook === null) return fallback
  return (error, req) => {
    let out: unknown
    try {
      out = hook(error, req)
    } catch (hookError) {
      return fallback(hookError)
    }
    if (isThenable(out)) return asPromise(out).then((value) => withErrorHeaders(toResponse(value), error), fallback)
    return withErrorHeaders(toResponse(out), error)
  }
}

/** Headers an HttpError asked for (WWW-Authenticate, Connection: close) survive a custom hook. */
function withErrorHeaders(res: Response, error: unknown): Response {
  if (error instanceof HttpError && error.headers !== undefined) {
    for (const name in error.headers) if (!res.headers.has(name)) res.headers.set(name, error.headers[name]!)
  }
  return res
}
