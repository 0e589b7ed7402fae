/**
 * Stands in for `undici` in the Lambda bundle. `@effect/platform-node`'s NodeHttpClient module
 * imports undici (~0.5 MB minified) for its fetch-based layers, which we never use: we use the
 * node:http layer (JSONAir needs a GET with a body). undici is only touched when one of those
 * layers is built, so this stub fails loudly should anyone ever wire one in.
 */
const unused = (): never => {
  throw new Error("undici is not bundled into the Lambda: use NodeHttpClient's node:http layer")
}

export class Agent {
  constructor() {
    unused()
  }
}

export const getGlobalDispatcher = unused

export default { Agent, getGlobalDispatcher }
