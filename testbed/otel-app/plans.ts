/**
 * The runs the testbed knows: the short one `npm test` runs (about five minutes) and the full
 * schedule that `npm run eval -- otel-app` repeats. Fault times are seconds after the fault phase starts,
 * which is the first whole minute with three minutes of traffic before it (the incident job judges a
 * minute against at least three before it) and `cleanBeforeS` of fault-free traffic scored by trained
 * models.
 */
import type { ServiceName } from './app.js';
import type { Fault } from './faults.js';

export interface PlannedFault {
  name: string;
  service: ServiceName;
  fault: Exclude<Fault, { kind: 'none' }>;
  startS: number;
  durationS: number;
}

export interface Plan {
  name: string;
  /** Mean requests per second. */
  rate: number;
  /** Tracehound's settings, as a user sets them in the environment. */
  env: Record<string, string>;
  /** OTEL_BSP_SCHEDULE_DELAY of the services, ms. */
  batchDelayMs: number;
  cleanBeforeS: number;
  faults: PlannedFault[];
  /** Traffic after the last fault ends. */
  tailS: number;
  /** Seconds after traffic starts by which every entry endpoint must have an active model. */
  maxWarmupS: number;
}

const PAYMENT_SLOW: PlannedFault['fault'] = { kind: 'latency', ms: 150 };
const CART_ERRORS: PlannedFault['fault'] = { kind: 'errors', rate: 0.3 };
/** Blocks the loop 200 ms at a time with 200 ms free between: requests queue, server spans start late. */
const CURRENCY_HOG: PlannedFault['fault'] = { kind: 'hog', busyMs: 200, idleMs: 200 };

/**
 * The three fault kinds at once, in three services, for one minute: each must open its own incident.
 * (One after the other would not fit the test's time: every fault needs a judged minute of its own.)
 */
export const SHORT_PLAN: Plan = {
  name: 'short',
  rate: 12,
  env: {
    TRACEHOUND_MIN_TRAINING_TRACES: '150',
    TRACEHOUND_POLL_SETTLE: '5',
    TRACEHOUND_INCIDENT_INTERVAL: '5',
    TRACEHOUND_INCIDENT_DELAY: '25',
  },
  batchDelayMs: 1000,
  cleanBeforeS: 30,
  faults: [
    { name: 'payment +150 ms', service: 'payment', fault: PAYMENT_SLOW, startS: 0, durationS: 60 },
    { name: 'cart HTTP 500 on 30%', service: 'cart', fault: CART_ERRORS, startS: 0, durationS: 60 },
    {
      name: 'currency event loop blocked',
      service: 'currency',
      fault: CURRENCY_HOG,
      startS: 0,
      durationS: 60,
    },
  ],
  tailS: 45,
  maxWarmupS: 600,
};

/**
 * Issue 13's schedule: three faults of 90 s, 45 s apart; then, after three quiet minutes (an incident still
 * open then must not swallow the next fault), two faults in two other services overlapping by 45 s; then
 * three quiet minutes. Tracehound's defaults, except the push settle time and the incident job's pace.
 */
export const LONG_PLAN: Plan = {
  name: 'long',
  rate: 15,
  env: {
    TRACEHOUND_POLL_SETTLE: '10',
    TRACEHOUND_INCIDENT_INTERVAL: '10',
    TRACEHOUND_INCIDENT_DELAY: '45',
  },
  batchDelayMs: 5000,
  cleanBeforeS: 120,
  faults: [
    { name: 'payment +150 ms', service: 'payment', fault: PAYMENT_SLOW, startS: 0, durationS: 90 },
    { name: 'cart HTTP 500 on 30%', service: 'cart', fault: CART_ERRORS, startS: 135, durationS: 90 },
    {
      name: 'currency event loop blocked',
      service: 'currency',
      fault: CURRENCY_HOG,
      startS: 270,
      durationS: 90,
    },
    {
      name: 'shipping +120 ms (overlapping)',
      service: 'shipping',
      fault: { kind: 'latency', ms: 120 },
      startS: 540,
      durationS: 90,
    },
    {
      name: 'catalog HTTP 500 on 25% (overlapping)',
      service: 'catalog',
      fault: { kind: 'errors', rate: 0.25 },
      startS: 585,
      durationS: 90,
    },
  ],
  tailS: 180,
  maxWarmupS: 600,
};

export const PLANS: Record<string, Plan> = { short: SHORT_PLAN, long: LONG_PLAN };
