/**
 * The held-out run: a fault-free training period, then a test period of the same system with a fault-free
 * start (history for the incident signals), every fault kind alone, two faults overlapping in time in
 * different services, two faults back to back, and a fault-free end.
 */
import type { FaultWindow } from './model.js';
import { FAULT_KINDS, faultKind } from './faults.js';
import type { Period } from './generate.js';

export interface ScheduledFault {
  kind: string;
  /** Minutes after the test period starts. */
  at: number;
  minutes: number;
  group: 'single' | 'overlapping' | 'back-to-back';
}

export interface HeldoutScenario {
  train: Period;
  test: Period;
}

export const SCENARIO_START_US = Date.UTC(2026, 2, 10, 12, 0, 0) * 1000;
export const TRAIN_MINUTES = 90;
/** Fault-free minutes at the start of the test period. */
const LEAD_MINUTES = 40;
const FAULT_MINUTES = 6;
/** From one single fault's start to the next: time for an incident to resolve in between. */
const SINGLE_EVERY = 16;

export function schedule(): ScheduledFault[] {
  const out: ScheduledFault[] = FAULT_KINDS.map((k, i) => ({
    kind: k.name,
    at: LEAD_MINUTES + i * SINGLE_EVERY,
    minutes: FAULT_MINUTES,
    group: 'single' as const,
  }));
  let t = LEAD_MINUTES + FAULT_KINDS.length * SINGLE_EVERY;
  // two faults in different services, the second starting while the first is on
  out.push({ kind: 'eta-one-pod-x2.2', at: t, minutes: 7, group: 'overlapping' });
  out.push({ kind: 'fraud-errors', at: t + 3, minutes: 7, group: 'overlapping' });
  t += 10 + SINGLE_EVERY;
  // two faults three minutes apart
  out.push({ kind: 'trips-db-slow', at: t, minutes: 4, group: 'back-to-back' });
  out.push({ kind: 'auth-validate-x3', at: t + 7, minutes: 4, group: 'back-to-back' });
  return out;
}

/** Test-period length: the schedule and 25 fault-free minutes after it. */
export function testMinutes(s: readonly ScheduledFault[] = schedule()): number {
  return Math.max(...s.map((f) => f.at + f.minutes)) + 25;
}

export function faultWindows(testStart: number, s: readonly ScheduledFault[] = schedule()): FaultWindow[] {
  return s.map((f, i) => {
    const k = faultKind(f.kind);
    return {
      id: `${f.kind}#${i + 1}`,
      kind: f.kind,
      group: f.group,
      start: testStart + f.at * 60e6,
      end: testStart + (f.at + f.minutes) * 60e6,
      rootCause: k.rootCause,
      description: k.description,
    };
  });
}

/** Training then test, back to back on one timeline; `ratePerS` sets the traffic of both. */
export function heldoutScenario(seed: number, ratePerS = 3): HeldoutScenario {
  const testStart = SCENARIO_START_US + TRAIN_MINUTES * 60e6;
  return {
    train: { seed, start: SCENARIO_START_US, minutes: TRAIN_MINUTES, ratePerS, faults: [] },
    test: { seed, start: testStart, minutes: testMinutes(), ratePerS, faults: faultWindows(testStart) },
  };
}
