/** One section of `npm run bench`: a table of measurements taken side by side in one run. */
export interface BenchSection {
  readonly id: string
  readonly title: string
  readonly rows: ReadonlyArray<Record<string, string | number>>
  /** Targets from the issues, each with the measured ratio and whether it was met. */
  readonly targets?: ReadonlyArray<{ readonly name: string; readonly value: number; readonly target: string; readonly met: boolean }>
  readonly notes?: ReadonlyArray<string>
}

/** A benchmark module's default export. */
export type Bench = () => Promise<BenchSection>
