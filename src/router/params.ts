/**
 * Route parameter types inferred from a path literal:
 * `PathParams<'/users/:id/files/*path'>` is `{ id: string; path: string }`.
 */
type Segments<P extends string> = P extends `${infer Head}/${infer Tail}` ? Head | Segments<Tail> : P
type StripConstraint<N extends string> = N extends `${infer Name}(${string}` ? Name : N
type ParamName<S extends string> = S extends `:${infer N}`
  ? StripConstraint<N>
  : S extends `*${infer N}`
    ? N extends '' ? '*' : N
    : never

export type PathParams<P extends string> = string extends P
  ? Record<string, string>
  : { [K in ParamName<Segments<P>>]: string }
