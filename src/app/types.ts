import type { Request } from '../http/request.ts'
import type { Response } from '../http/response.ts'
import type { HandlerResult } from '../http/result.ts'

export type Params = Record<string, string>

/** A route handler: returns a Response or any value weft can turn into one. */
export type Handler<P extends Params = Params> = (req: Request<P>) => HandlerResult | Promise<HandlerResult>

/** Runs the rest of the chain; always resolves to a Response (errors are already turned into one). */
export type Next = () => Promise<Response>

/** Onion-model middleware: work before `next()`, work after it, or answer without calling it. */
export type Middleware<P extends Params = Params> = (req: Request<P>, next: Next) => HandlerResult | Promise<HandlerResult>

/** Turns an error into a response. */
export type ErrorHandler = (error: unknown, req: Request) => HandlerResult | Promise<HandlerResult>

/** The function an engine calls for each request. */
export type Dispatch = (req: Request) => Response | Promise<Response>
