// Express 5 with its defaults (ETag and X-Powered-By included, as shipped).
import express from 'express'
import { announce, benchPort, HELLO } from './common.ts'

const app = express()
app.get('/', (_req, res) => {
  res.type('text/plain').send(HELLO)
})
app.get('/users/:id', (req, res) => {
  res.json({ id: req.params.id })
})

const port = benchPort()
app.listen(port, '127.0.0.1', () => announce('express', port))
