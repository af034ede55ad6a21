import { z } from 'zod';
import { AnomalySchema, CompactSpanSchema } from '../store/anomaly-record.js';
import { DIFF_KINDS, type DiffRow } from '../explain/compare.js';
import { ScoredTraceSchema } from '../scoring/scored-trace.js';
import { FORMAT_NAMES } from '../formats/types.js';
import { SessionSchema, SessionSummarySchema } from '../store/session-record.js';
import { MAX_SESSION_ID } from '../trace/session.js';
import { queryNumber, queryTime } from './zod-bridge.js';

/** The payloads of the HTTP API. One schema each: validation, TypeScript types and OpenAPI come from it. */

export const ID = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,128}$/, 'expected an id of 1-128 letters, digits, . _ -');
export const IdParams = z.strictObject({ id: ID });

/** How much of an explanation: the leading causes (default) or every candidate cause with its share. */
export const ExplainQuery = z.strictObject({
  explain: z.enum(['top', 'all']).default('top'),
});

const ENDPOINT = z.string().regex(/^[^:]+:.+$/, 'expected service:operation');
const integerIn = (lo: number, hi: number) =>
  queryNumber(`an integer ${lo}..${hi}`).pipe(z.number().int().min(lo).max(hi));

export const AnomalyListQuery = z
  .strictObject({
    order: z
      .enum(['score', 'time'])
      .default('score')
      .describe(
        'score: most surprising first (surprise in tenths of a decade, then errors, then added latency); ' +
          'anomalies marked false positive last, and those like them (same endpoint and first cause) by the ' +
          'surprise they have beyond it. time: newest first',
      ),
    service: z.string().min(1).optional(),
    operation: z.string().min(1).optional(),
    endpoint: ENDPOINT.optional().describe('service:operation of the root span (split at the first colon)'),
    from: queryTime.optional().describe('Trace start at or after: ISO 8601 or epoch milliseconds'),
    to: queryTime.optional().describe('Trace start at or before: ISO 8601 or epoch milliseconds'),
    minScore: queryNumber('a number 0..1').pipe(z.number().min(0).max(1)).optional(),
    minSurprise: queryNumber('a number >= 0')
      .pipe(z.number().min(0))
      .optional()
      .describe(
        'At least this surprise (-log10 tail probability): 6 keeps what one normal trace in a million reaches',
      ),
    rootCauseService: z
      .string()
      .min(1)
      .optional()
      .describe('Only anomalies naming this service among the root causes'),
    limit: integerIn(1, 500).default(50),
    cursor: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe('nextCursor of the previous page (same order); pages do not shift when anomalies arrive'),
    view: z
      .enum(['full', 'summary'])
      .default('full')
      .describe(
        'summary: each anomaly without its spans and features (a list screen needs neither; a trace of ' +
          'thousands of spans makes a page megabytes); GET /v1/anomalies/{id} has them',
      ),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  });

export const AnomalyPageSchema = z.object({
  items: z.array(AnomalySchema),
  nextCursor: z.string().optional(),
});

export const FeedbackBody = z.strictObject({
  verdict: z.enum(['true-positive', 'false-positive']),
  note: z.string().max(2000).optional(),
});

const ms = (what: string) => z.number().nonnegative().describe(`${what}, ms`);

/** One row of a comparison with normal (explain/compare.ts computes them; this is their contract). */
export const DiffRowSchema = z.object({
  path: z.string().describe('the call path, svc:op>svc:op>…, from the root down'),
  service: z.string(),
  operation: z.string(),
  kind: z
    .enum(DIFF_KINDS)
    .describe(
      'slower/faster: self time beyond jitter; missing: the normal trace has the path, this one not (paths ' +
        'below it folded in); new: the other way round; error: more failed spans than the normal trace',
    ),
  this: ms("the path's self time in this trace (summed over its spans; 0 when missing)"),
  normal: ms("the path's self time in the normal trace (0 when new)"),
  thisDuration: ms('summed span durations of the path in this trace, with what they called'),
  normalDuration: ms('the same in the normal trace'),
  thisCalls: z.number().int().nonnegative(),
  normalCalls: z.number().int().nonnegative(),
  thisErrors: z.number().int().nonnegative(),
  normalErrors: z.number().int().nonnegative(),
  normalP50: ms("p50 of one span's self time on this path in the model's training traffic").optional(),
  normalP99: ms("p99 of one span's self time on this path in the model's training traffic").optional(),
  below: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('missing/new: paths under this one folded into it'),
  normalShare: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe(
      'missing/new, with a model of the endpoint: share of its training traces that make this call (near 1 ' +
        'for a missing call or 0 for a new one: a real change; in between: an optional call)',
    ),
});

/** An anomaly beside a typical normal trace of its endpoint, and what differs. */
export const ComparisonSchema = z.object({
  anomalyId: z.string(),
  endpoint: z.string(),
  normal: z
    .object({
      traceId: z.string(),
      startTime: z.iso.datetime(),
      durationMs: z.number().nonnegative(),
      spans: z.array(CompactSpanSchema),
    })
    .describe('the normal trace, spans as the anomaly view has them'),
  choice: z
    .object({
      candidates: z.number().int().nonnegative(),
      sameShape: z.number().int().nonnegative(),
      medianMs: z.number().nonnegative(),
    })
    .describe(
      'how it was chosen: of `candidates` normal traces of the endpoint kept for training (error-free ones when ' +
        'there are any), the commonest structure (`sameShape` of them have it), and of those the duration nearest ' +
        'the median (`medianMs`)',
    ),
  rows: z.array(DiffRowSchema).describe('errors first, then slower by time added, missing, new, faster'),
});
export type Comparison = z.infer<typeof ComparisonSchema>;

// The core's row type and this schema must not drift apart: the same fields (optional ones too), each
// type assignable to the other.
type SameRow<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : never
      : never
    : never
  : never;
const diffRowsAgree: SameRow<z.infer<typeof DiffRowSchema>, DiffRow> = true;
void diffRowsAgree;

export const ScoreQuery = z.strictObject({
  format: z.enum(FORMAT_NAMES).optional(),
  /** top: the leading causes of anomalous traces; all: every candidate cause of every trace, flagged or not. */
  explain: z.enum(['top', 'all']).default('top'),
});

export const ScoreResponseSchema = z.object({
  items: z.array(ScoredTraceSchema),
  /** Records that could not be read (each counted, the rest still scored). */
  skipped: z.number().int().nonnegative(),
  warnings: z.array(z.string()),
});
export type ScoreResult = z.infer<typeof ScoreResponseSchema>;

export const ServiceInfoSchema = z.object({
  service: z.string(),
  /** Anomalies stored (within retention) whose root span is this service's. */
  anomalies: z.number().int(),
  /** Anomalies stored naming this service among the root causes. */
  rootCauseOf: z.number().int(),
  endpoints: z.number().int(),
  /** Its endpoints by model status: with an active model, training, only inactive versions, no model yet. */
  models: z.object({
    active: z.number().int(),
    training: z.number().int(),
    inactive: z.number().int(),
    none: z.number().int(),
  }),
});

/** How a retrain judged a version on traffic neither it nor the active model trained on. */
export const HeldOutSchema = z.object({
  traces: z.number().int(),
  /** The share of those normal traces it flagged: its false-positive rate, to be near `targetFpr`. */
  flagRate: z.number(),
  targetFpr: z.number(),
  /** The same for the version that was active then (absent for an endpoint's first model). */
  activeFlagRate: z.number().optional(),
  /** One standard error of the rate over these traces: differences within it are noise. */
  noise: z.number().optional(),
});

export const ModelVersionSchema = z.object({
  version: z.number().int(),
  createdAt: z.string(),
  active: z.boolean(),
  traces: z.number().int().optional(),
  threshold: z.number().optional(),
  /** Why the retrain that made it did (not) promote it. */
  note: z.string().optional(),
  /** Versions trained before these figures were kept have none. */
  heldOut: HeldOutSchema.optional(),
});

/** What the models dependency reports per endpoint (`service:operation`, or a shared model set's name). */
export const ModelInfoSchema = z.object({
  endpoint: z.string(),
  activeVersion: z.number().int().optional(),
  /** training: a retrain is queued or running for it; none: traffic kept for training, no version yet. */
  status: z.enum(['active', 'inactive', 'training', 'none']),
  /** Why it has no active model, in a sentence (none, inactive). */
  reason: z.string().optional(),
  /** Its training reservoir: traces kept, traces offered since the last reset, and how many a model needs. */
  reservoir: z
    .object({ kept: z.number().int(), seen: z.number().int(), needed: z.number().int() })
    .optional(),
  versions: z.array(ModelVersionSchema),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

export const EndpointInfoSchema = z.object({
  endpoint: z.string(),
  service: z.string(),
  operation: z.string(),
  anomalies: z.number().int(),
  /** Traces scored since counting began, and how many of those were anomalous. */
  scored: z.number().int(),
  anomalous: z.number().int(),
  anomalyRate: z.number().optional(),
  model: ModelInfoSchema.pick({ status: true, activeVersion: true }).optional(),
});

export type EndpointInfo = z.infer<typeof EndpointInfoSchema>;

export const RetrainBody = z.strictObject({
  /** Only these endpoints (default: every endpoint with enough traffic). */
  endpoints: z.array(ENDPOINT).min(1).max(1000).optional(),
});
export const RetrainResponse = z.object({ jobId: z.string(), endpoints: z.array(z.string()).optional() });

export const EndpointParams = z.strictObject({ endpoint: z.string().min(1).max(1024) });
export const ActivateBody = z.strictObject({ version: z.number().int().positive() });

/** A delivery attempt of a webhook, as the webhooks dependency logs it (extra fields pass through). */
export const DeliverySchema = z.looseObject({
  at: z.string(),
  event: z.string().optional(),
  status: z.string(),
  httpStatus: z.number().int().optional(),
  attempts: z.number().int().optional(),
  durationMs: z.number().optional(),
  error: z.string().optional(),
  eventId: z
    .string()
    .optional()
    .describe('the event delivered (one event goes to every webhook that wants it)'),
});
export type WebhookDelivery = z.infer<typeof DeliverySchema>;

/** A delivery of one incident's events, with the webhook it went to (its URL redacted as the list shows it). */
export const IncidentDeliverySchema = DeliverySchema.extend({ webhookId: z.string(), url: z.string() });
export type IncidentDelivery = z.infer<typeof IncidentDeliverySchema>;

export const DeliveriesQuery = z.strictObject({ limit: integerIn(1, 500).default(50) });

export const ItemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export const HealthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  redis: z.boolean(),
  /** The process's job workers run (true in a process without the worker role). */
  workers: z.boolean(),
  /** At least one model is active: informational, an endpoint without one still reports failing traces. */
  models: z.boolean(),
});

export const WhoamiSchema = z.object({
  /** false: no API keys are configured and every caller may do everything. */
  auth: z.boolean(),
  /** What the presented key may do (admin when auth is off); absent when auth is on and no known key came. */
  role: z.enum(['read', 'admin']).optional(),
});
export type Whoami = z.infer<typeof WhoamiSchema>;

const SESSION_ID = z
  .string()
  .min(1)
  .max(MAX_SESSION_ID)
  .describe('a session id as the traces carry it (session.id, enduser.id: TRACEHOUND_SESSION_ATTRIBUTES)');

export const SessionListQuery = z.strictObject({
  q: SESSION_ID.optional().describe(
    'Only sessions whose id starts with this (case-sensitive), among the 10 000 most recently active; ' +
      'a session named exactly this comes first however old',
  ),
  limit: integerIn(1, 500).default(50),
});
export const SessionParams = z.strictObject({ id: SESSION_ID });
export const SessionPageSchema = ItemsOf(SessionSummarySchema);
export { SessionSchema };
export type { Session, SessionSummary } from '../store/session-record.js';
