/** @module Scenarios contributed by features (sync throughput, proxy), run by bench/run.ts in order. */
import type { Report } from '../run.ts';

export interface ExtraScenario {
  readonly name: string;
  run(input: { quick: boolean; sizes: Record<string, number>; report: Report }): Promise<void>;
}

export const EXTRA_SCENARIOS: ExtraScenario[] = [];
