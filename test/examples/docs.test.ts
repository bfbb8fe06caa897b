import { testGuideSnippets } from '../helpers/doc-snippets.ts'

// The guides promise that every ```ts block starting with `import` is a whole program. Run each
// one: it must exit 0 on its own, or, if it is a server that prints `listening on`, answer
// SIGTERM by closing and exiting 0.
const GUIDES = ['docs/routing.md', 'docs/server.md', 'docs/static.md', 'docs/streaming.md', 'docs/websocket.md']

for (const guide of GUIDES) testGuideSnippets(guide, 3)
