/**
 * A WebSocket protocol failure: `closeCode` is the close code to fail the connection with
 * (1002 protocol error, 1007 invalid payload, 1009 too big, ...).
 */
export class WebSocketError extends Error {
  readonly closeCode: number

  constructor(closeCode: number, message: string) {
    super(message)
    this.name = 'WebSocketError'
    this.closeCode = closeCode
  }
}
