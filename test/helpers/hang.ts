/** A call that never answers; it rejects as the AWS SDK does (`AbortError`) once its signal aborts. */
export const hangUntilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" }))))
