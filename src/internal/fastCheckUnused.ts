/**
 * Stands in for `fast-check` in the Lambda bundle. effect's Schema module imports it (through
 * `effect/FastCheck`; ~46 kB minified, with pure-rand) for the arbitraries that
 * `Arbitrary.make` derives from schemas, which only property tests build: the Lambda's import
 * would parse it for nothing. Schema calls only `array`, inside an arbitrary; this stub fails
 * loudly should anyone ever derive one in the Lambda.
 */
const unused = (): never => {
  throw new Error("fast-check is not bundled into the Lambda: Schema arbitraries are for tests")
}

export const array = unused
