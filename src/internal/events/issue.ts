/**
 * Turns a schema failure into one short line: where (the field path) and what is wrong. Effect's
 * own formatters print the offending value in full, which for an event means echoing megabytes
 * of payload (and possibly a whole object) into logs, so this one only describes values.
 */
import { Effect, Option, type ParseResult, Predicate, SchemaAST } from "effect"

/** The first failure of `issue` as `path: problem`; `root` names the input when the path is empty. */
export const formatIssue = (issue: ParseResult.ParseIssue, root: string): string => {
  const { path, problem } = firstProblem(issue, [])
  return `${path.length === 0 ? root : formatPath(path)}: ${problem}`
}

interface Located {
  readonly path: ReadonlyArray<PropertyKey>
  readonly problem: string
}

const firstProblem = (issue: ParseResult.ParseIssue, path: ReadonlyArray<PropertyKey>): Located => {
  switch (issue._tag) {
    case "Pointer":
      return firstProblem(issue.issue, path.concat(issue.path))
    case "Missing":
      return { path, problem: issue.message ?? "is missing" }
    case "Unexpected":
    case "Forbidden":
      return { path, problem: issue.message ?? "is not allowed here" }
    case "Type":
      return {
        path,
        problem: issue.message ?? annotated(issue) ?? `expected ${expected(issue.ast)}, got ${describe(issue.actual)}`
      }
    case "Refinement": {
      // A "From" failure happened before this refinement's own check: its message does not apply.
      if (issue.kind === "From") return firstProblem(issue.issue, path)
      return { path, problem: `${annotated(issue) ?? `expected ${expected(issue.ast)}`}, got ${describe(issue.actual)}` }
    }
    case "Transformation":
      return firstProblem(issue.issue, path)
    case "Composite": {
      const issues = "_tag" in issue.issues ? [issue.issues] : issue.issues
      if (!SchemaAST.isUnion(issue.ast)) return firstProblem(issues[0]!, path)
      // In a union, members of the wrong kind fail with a bare `Type`; when one member got
      // further than that, its failure is the one that explains the input.
      const further = issues.filter((member) => member._tag !== "Type")
      return further.length === 1
        ? firstProblem(further[0]!, path)
        : { path, problem: `expected ${expected(issue.ast)}, got ${describe(issue.actual)}` }
    }
  }
}

/** The schema's own message annotation, when it is a plain string (all of ours are). */
const annotated = (issue: ParseResult.Type | ParseResult.Refinement): string | undefined =>
  Option.getOrUndefined(Option.flatMap(SchemaAST.getMessageAnnotation(issue.ast), (annotation) => {
    const message = annotation(issue)
    if (Predicate.isString(message)) return Option.some(message)
    if (Effect.isEffect(message)) return Option.none()
    return Predicate.isString(message.message) ? Option.some(message.message) : Option.none()
  }))

/** What a schema accepts, in a few words; never the whole structure of an object schema. */
const expected = (ast: SchemaAST.AST): string => {
  const named = SchemaAST.getDescriptionAnnotation(ast).pipe(
    Option.orElse(() => SchemaAST.getTitleAnnotation(ast)),
    Option.orElse(() => SchemaAST.getIdentifierAnnotation(ast))
  )
  if (Option.isSome(named)) return named.value
  switch (ast._tag) {
    case "Literal":
      return JSON.stringify(ast.literal)
    case "TypeLiteral":
      return "an object"
    case "TupleType":
      return "an array"
    case "Union":
      return [...new Set(ast.types.filter((member) => !SchemaAST.isUndefinedKeyword(member)).map(expected))].join(" or ")
    case "Refinement":
      return expected(ast.from)
    case "Transformation":
      return expected(ast.from)
    default:
      return String(ast)
  }
}

const SHORT = 40

/** A value described without printing it: short strings and scalars as JSON, the rest by kind and size. */
export const describe = (value: unknown): string => {
  if (value === undefined) return "nothing"
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value)
  if (typeof value === "string") {
    return value.length <= SHORT ? JSON.stringify(value) : `a string of ${value.length} characters`
  }
  if (Array.isArray(value)) return `an array of ${value.length}`
  return typeof value === "object" ? "an object" : typeof value
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.map((key, i) => {
    if (typeof key === "number") return `[${key}]`
    const name = String(key)
    if (IDENTIFIER.test(name)) return i === 0 ? name : `.${name}`
    return `[${name.length <= SHORT ? JSON.stringify(name) : "…"}]`
  }).join("")

const ID_FIELDS = ["id", "eventID", "messageId", "MessageId"] as const
const MAX_ID = 128

/** The id a rejected input gives itself, if any, for the log line; an absurd one is not repeated. */
export const eventIdOf = (input: unknown): string | undefined => {
  if (!Predicate.isRecord(input)) return undefined
  for (const field of ID_FIELDS) {
    const id = input[field]
    if (typeof id === "string" && id.length > 0 && id.length <= MAX_ID) return id
  }
  return undefined
}
