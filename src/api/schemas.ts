import { z } from 'zod';
import { AnomalySchema } from '../store/anomaly-record.js';
import { ScoredTraceSchema } from '../scoring/scored-trace.js';
import { FORMAT_NAMES } from '../formats/types.js';
import { queryNumber, queryTime } from './zod-bridge.js';

/** The payloads of the HTTP API. One schema each: validation, TypeScript types and OpenAPI come from it. */

export const ID = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,128}$/, 'expected an id of 1-128 letters, digits, . _ -');
export const IdParams = z.strictObject({ id: ID });

const ENDPOINT = z.string().regex(/^[^:]+:.+$/, 'expected service:operation');
const integerIn = (lo: number, hi: number) =>
  queryNumber(`an integer ${lo}..${hi}`).pipe(z.number().int().min(lo).max(hi));

export const AnomalyListQuery = z
  .strictObject({
    order: z.enum(['score', 'time']).default('score'),
    service: z.string().min(1).optional(),
    operation: z.string().min(1).optional(),
    endpoint: ENDPOINT.optional().describe('service:operation of the root span (split at the first colon)'),
    from: queryTime.optional().describe('Trace start at or after: ISO 8601 or epoch milliseconds'),
    to: queryTime.optional().describe('Trace start at or before: ISO 8601 or epoch milliseconds'),
    minScore: queryNumber('a number 0..1').pipe(z.number().min(0).max(1)).optional(),
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

export const ScoreQuery = z.strictObject({ format: z.enum(FORMAT_NAMES).optional() });

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
});

export const ModelVersionSchema = z.object({
  version: z.number().int(),
  createdAt: z.string(),
  active: z.boolean(),
  traces: z.number().int().optional(),
  threshold: z.number().optional(),
  note: z.string().optional(),
});

/** What the models dependency reports per endpoint (`service:operation`, or a shared model set's name). */
export const ModelInfoSchema = z.object({
  endpoint: z.string(),
  activeVersion: z.number().int().optional(),
  /** training: a retrain is queued or running for it. */
  status: z.enum(['active', 'inactive', 'training']),
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
});
export type WebhookDelivery = z.infer<typeof DeliverySchema>;

export const DeliveriesQuery = z.strictObject({ limit: integerIn(1, 500).default(50) });

export const ItemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export const HealthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  redis: z.boolean(),
  models: z.boolean(),
});
