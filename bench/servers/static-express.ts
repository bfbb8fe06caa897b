// Express 5 with express.static (serve-static), defaults.
import express from 'express'
import { announce, benchPort, staticDir } from './common.ts'

const app = express()
app.use(express.static(staticDir()))
const port = benchPort()
app.listen(port, '127.0.0.1', () => announce('express', port))
