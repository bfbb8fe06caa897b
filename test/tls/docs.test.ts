// docs/tls-http2.md promises that every ```ts block starting with `import` is a whole program:
// run each one from the package root (they use the committed fixtures) and expect exit 0.
import { testGuideSnippets } from '../helpers/doc-snippets.ts'

testGuideSnippets('docs/tls-http2.md', 8)
