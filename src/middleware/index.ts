export { compose } from './compose.ts'
