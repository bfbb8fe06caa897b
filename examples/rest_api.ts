// An in-memory users API: JSON in, JSON out, and JSON errors for every way a request can fail.
//
//   GET    /users        list users
//   POST   /users        create one from { "name", "email" }: 201 with a Location header
//   GET    /users/:id    one user, or 404
//   PUT    /users/:id    replace a user's name and email: 200 with the updated user
//   DELETE /users/:id    204
//
// Run it with `npm run example -- rest_api`, then for instance:
//   curl -i -H 'content-type: application/json' -d '{"name":"Ada","email":"ada@example.com"}' http://127.0.0.1:8080/users
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { App, HttpError, json, serve, statusText, type Request } from 'weft'

export type User = {
  id: string
  name: string
  email: string
}

/** 1 MiB: larger bodies are refused with 413 before they are read. */
const BODY_LIMIT = 1024 * 1024
const EMAIL = /^[^\s@]+@[^\s@]+$/

/** Builds the app; the store lives in the closure, so every call starts empty (handy in tests). */
export function createApp(): App {
  const users = new Map<string, User>()
  let lastId = 0

  const app = new App({ bodyLimit: BODY_LIMIT })

  // Every error becomes `{ "error": "..." }`: HttpErrors keep their status, message and headers
  // (Allow on a 405, Connection: close on a 413); anything else is a 500 that hides its details.
  app.onError((error) => {
    if (error instanceof HttpError) {
      const res = json({ error: error.expose ? error.message : statusText(error.status) }, { status: error.status })
      if (error.headers !== undefined) res.headers.assign(error.headers)
      return res
    }
    console.error(error)
    return json({ error: 'Internal Server Error' }, { status: 500 })
  })
  app.notFound((req) => json({ error: `Not Found: ${req.path}` }, { status: 404 }))

  const find = (id: string): User => {
    const user = users.get(id)
    if (user === undefined) throw new HttpError(404, `No user with id ${id}`)
    return user
  }

  app.get('/users', () => [...users.values()])

  app.post('/users', async (req) => {
    const fields = await readUser(req)
    const user: User = { id: String(++lastId), ...fields }
    users.set(user.id, user)
    return json(user, { status: 201, headers: { location: `/users/${user.id}` } })
  })

  app.get('/users/:id', (req) => find(req.params.id))

  app.put('/users/:id', async (req) => {
    const user = find(req.params.id)
    const fields = await readUser(req)
    user.name = fields.name
    user.email = fields.email
    return user
  })

  app.delete('/users/:id', (req) => {
    users.delete(find(req.params.id).id)
    return null // 204 No Content
  })

  return app
}

/**
 * Reads and checks a `{ name, email }` body:
 * 415 unless it is JSON, 413 past the body limit, 400 when it is not a JSON object,
 * 422 when it is one but a field is missing or invalid.
 */
async function readUser(req: Request): Promise<Omit<User, 'id'>> {
  const type = (req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') throw new HttpError(415, 'Expected an application/json body')
  const body = await req.json() // 400 for malformed JSON, 413 past the limit
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'The body must be a JSON object')
  }
  const { name, email } = body as Record<string, unknown>
  if (typeof name !== 'string' || name.trim() === '') throw new HttpError(422, '"name" must be a non-empty string')
  if (typeof email !== 'string' || !EMAIL.test(email)) throw new HttpError(422, '"email" must be an email address')
  return { name: name.trim(), email }
}

// Serve only when run directly (`node examples/rest_api.ts`), not when a test imports createApp.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const server = await serve(createApp(), { port: Number(process.env.PORT ?? 8080) })
  // Ready to stop gracefully before telling anyone where to connect.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close())
  console.log(`listening on ${server.url}`)
}
