/** The CLI's exit codes, shared by its commands. */
import { Console, Effect } from "effect"

/** 0 nothing failed, 1 some event (object, task) failed, 2 usage or configuration error, 130 interrupted (Ctrl-C). */
export const ExitCode = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const

/** Prints `highvolt-s3: message` on stderr and gives the usage exit code. */
export const usageError = (message: string) => Effect.as(Console.error(`highvolt-s3: ${message}`), ExitCode.usage)
