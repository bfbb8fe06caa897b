import { HttpError, statusText } from '../http/errors.ts'
import { Response, text } from '../http/response.ts'
import type { Request } from '../http/request.ts'

export interface ErrorOptions {
  /** Send error messages and stacks to the client (development only). */
  dev: boolean
  /** Where unexpected errors (not HttpErrors) are reported; `false` to stay quiet. */
  log: false | ((error: unknown, req: Request | undefined) => void)
}

/**
 * The default answer to an error: an HttpError's own status and (for 4xx) message; anything
 * else is a 500 whose details stay on the server unless `dev` is on.
 */
export function defaultErrorResponse(options: ErrorOptions): (error: unknown, req?: Request) => Response {
  return (error, req) => {
    if (error instanceof HttpError) {
      const res = text(error.expose || options.dev ? error.message : statusText(error.status), { status: error.status })
      if (error.headers !== undefined) res.headers.assign(error.headers)
      return res
    }
    if (options.log !== false) options.log(error, req)
    const body = options.dev && error instanceof Error ? (error.stack ?? String(error)) : 'Internal Server Error'
    return text(body, { status: 500 })
  }
}

export function consoleErrorLog(error: unknown, req: Request | undefined): void {
  console.error(`weft: unhandled error${req ? ` in ${req.method} ${req.path}` : ''}:`, error)
}

