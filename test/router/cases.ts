/**
 * The router conformance table: each case registers `routes` and expects `path` to resolve to
 * the route at index `route` with `params` (or to nothing, when `route` is null). Every router
 * implementation (and the App on top of it) runs this same table.
 */
export interface RouterCase {
  name: string
  routes: string[]
  path: string
  route: number | null
  params?: Record<string, string>
}

export const ROUTER_CASES: RouterCase[] = [
  { name: 'root', routes: ['/'], path: '/', route: 0 },
  { name: 'static', routes: ['/a', '/a/b', '/ab'], path: '/a/b', route: 1 },
  { name: 'static prefix split', routes: ['/search', '/support', '/sup'], path: '/sup', route: 2 },
  { name: 'static miss on shared prefix', routes: ['/search', '/support'], path: '/se', route: null },
  { name: 'trailing slash is distinct', routes: ['/a'], path: '/a/', route: null },
  { name: 'param', routes: ['/users/:id'], path: '/users/42', route: 0, params: { id: '42' } },
  { name: 'param does not match empty', routes: ['/users/:id'], path: '/users/', route: null },
  { name: 'param does not cross slash', routes: ['/users/:id'], path: '/users/1/2', route: null },
  { name: 'two params', routes: ['/u/:uid/posts/:pid'], path: '/u/7/posts/9', route: 0, params: { uid: '7', pid: '9' } },
  { name: 'static beats param', routes: ['/users/:id', '/users/me'], path: '/users/me', route: 1 },
  { name: 'param beats wildcard', routes: ['/f/*rest', '/f/:name'], path: '/f/x', route: 1, params: { name: 'x' } },
  { name: 'wildcard takes the rest', routes: ['/f/*rest', '/f/:name'], path: '/f/x/y', route: 0, params: { rest: 'x/y' } },
  { name: 'wildcard may be empty', routes: ['/files/*path'], path: '/files/', route: 0, params: { path: '' } },
  { name: 'unnamed wildcard', routes: ['/static/*'], path: '/static/a/b.css', route: 0, params: { '*': 'a/b.css' } },
  { name: 'backtrack from static to param', routes: ['/a/b/c', '/a/:x/d'], path: '/a/b/d', route: 1, params: { x: 'b' } },
  { name: 'backtrack from param to wildcard', routes: ['/a/:x/d', '/a/*rest'], path: '/a/b/e', route: 1, params: { rest: 'b/e' } },
  { name: 'constraint matches', routes: ['/n/:id(\\d+)'], path: '/n/123', route: 0, params: { id: '123' } },
  { name: 'constraint rejects', routes: ['/n/:id(\\d+)'], path: '/n/abc', route: null },
  { name: 'constraint before bare param', routes: ['/n/:slug', '/n/:id(\\d+)'], path: '/n/5', route: 1, params: { id: '5' } },
  { name: 'bare param when constraint fails', routes: ['/n/:slug', '/n/:id(\\d+)'], path: '/n/five', route: 0, params: { slug: 'five' } },
  { name: 'param is percent-decoded', routes: ['/p/:v'], path: '/p/a%20b%2Fc', route: 0, params: { v: 'a b/c' } },
  { name: 'unicode param', routes: ['/p/:v'], path: '/p/caf%C3%A9', route: 0, params: { v: 'café' } },
  { name: 'unicode static route', routes: ['/café'], path: '/caf%C3%A9', route: 0 },
  { name: 'param after static tail', routes: ['/api/v1/:res', '/api/v2/:res'], path: '/api/v2/items', route: 1, params: { res: 'items' } },
  { name: 'deep static', routes: ['/a/b/c/d/e/f'], path: '/a/b/c/d/e/f', route: 0 },
  { name: 'no route', routes: ['/a'], path: '/b', route: null },
]
