/**
 * An error that carries an HTTP status. Throw it from a handler or middleware to answer with
 * that status; messages of 4xx errors are sent to the client, 5xx messages are not (they may
 * hold internals) unless `expose` says otherwise.
 */
export class HttpError extends Error {
  readonly status: number
  readonly expose: boolean
  readonly headers: Record<string, string> | undefined

  constructor(status: number, message?: string, options?: { expose?: boolean; headers?: Record<string, string>; cause?: unknown }) {
    super(message ?? statusText(status), options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HttpError'
    this.status = status
    this.expose = options?.expose ?? status < 500
    this.headers = options?.headers
  }
}

const STATUS_TEXT: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 103: 'Early Hints',
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 408: 'Request Timeout', 409: 'Conflict',
  410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed', 413: 'Content Too Large',
  415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 422: 'Unprocessable Content',
  426: 'Upgrade Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
}

/** The standard reason phrase for a status code ("Unknown" when there is none). */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Unknown'
}
