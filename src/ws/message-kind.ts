import { Opcode } from './opcodes.ts'
import type { SendOptions, WebSocketData } from './types.ts'

/** The bytes (or text) to frame: an ArrayBuffer is viewed, never copied. */
export function messagePayload(data: WebSocketData): string | Uint8Array {
  return typeof data === 'string' || !(data instanceof ArrayBuffer) ? data : new Uint8Array(data)
}

/** Text for strings and binary for bytes, unless `options.binary` says otherwise. */
export function messageOpcode(data: WebSocketData, options: SendOptions | undefined): number {
  const binary = typeof data === 'string' ? options?.binary === true : options?.binary !== false
  return binary ? Opcode.Binary : Opcode.Text
}
