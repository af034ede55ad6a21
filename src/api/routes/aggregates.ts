import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { sumQuality, type AggregateHistory } from '../../traffic/minute-buckets.js';
import { QualityReportSchema, qualityReport } from '../../traffic/quality.js';
import { MINUTE_US, minuteOf } from '../../traffic/minute.js';
import { TopologySchema, buildTopology } from '../../traffic/service-graph.js';
import { AnomalyRateSchema, anomalyRate } from '../../traffic/anomaly-rate.js';
import { ApiError, ErrorSchema } from '../errors.js';
import { defineRoute, queryTime } from '../zod-bridge.js';

/** Widest window one request may ask for. */
export const MAX_WINDOW_MINUTES = 7 * 24 * 60;
const DEFAULT_WINDOW_MINUTES = 60;

/** A window's ends, as every aggregate route takes them. */
const windowFields = {
  from: queryTime
    .optional()
    .describe('Start of the window: ISO 8601 or epoch milliseconds (default: an hour before `to`)'),
  to: queryTime.optional().describe('End of the window: ISO 8601 or epoch milliseconds (default: now)'),
};
const ordered = (q: { from?: number; to?: number }) =>
  q.from === undefined || q.to === undefined || q.from <= q.to;
const ORDER_ISSUE = { message: 'from must not be after to', path: ['from'] };

export const AggregateWindowQuery = z.strictObject(windowFields).refine(ordered, ORDER_ISSUE);
type WindowQuery = z.output<typeof AggregateWindowQuery>;

/** Points per series in an anomaly-rate answer: a minute each for up to six hours, coarser beyond. */
const RATE_POINTS = 360;

export const AnomalyRateQuery = z
  .strictObject({
    ...windowFields,
    endpoint: z.string().min(1).max(1024).optional().describe('One endpoint, `service:operation`'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(20)
      .default(5)
      .describe(
        'Without `endpoint`: the endpoints with the most anomalous traces in the window, at most this many',
      ),
  })
  .refine(ordered, ORDER_ISSUE);
type RateQuery = z.output<typeof AnomalyRateQuery>;

/** The window in µs: the minutes that overlap [from, to], from the start of the one holding `from`. */
function windowOf(q: WindowQuery, now: () => number): { from: number; to: number } {
  const toMs = q.to ?? now();
  const fromMs = q.from ?? toMs - DEFAULT_WINDOW_MINUTES * 60_000;
  const from = minuteOf(fromMs * 1000);
  const to = toMs * 1000;
  const minutes = Math.floor((to - from) / MINUTE_US) + 1;
  if (minutes > MAX_WINDOW_MINUTES)
    throw new ApiError(
      400,
      'window_too_wide',
      `the window spans ${minutes} minutes; at most ${MAX_WINDOW_MINUTES} (7 days) per request`,
    );
  return { from, to };
}

/** The service topology, the trace-quality report and anomaly rates over time, from the per-minute aggregates. */
export const aggregateRoutes: FastifyPluginAsync<{
  aggregates: AggregateHistory;
  now?: () => number;
}> = async (app, { aggregates, now = Date.now }) => {
  defineRoute<unknown, WindowQuery>(app, {
    method: 'GET',
    url: '/topology',
    summary:
      'Services and caller -> callee edges seen in a window, with calls, errors, latency and anomaly heat',
    tag: 'aggregates',
    access: 'read',
    query: AggregateWindowQuery,
    responses: { 200: TopologySchema, 400: ErrorSchema },
    handler: async (req) => {
      const w = windowOf(req.query, now);
      return buildTopology(await aggregates.buckets(w.from, w.to), w);
    },
  });

  defineRoute<unknown, WindowQuery>(app, {
    method: 'GET',
    url: '/quality',
    summary: 'Trace quality per service in a window: completeness, orphan spans, clock skew, missing parents',
    tag: 'aggregates',
    access: 'read',
    query: AggregateWindowQuery,
    responses: { 200: QualityReportSchema, 400: ErrorSchema },
    handler: async (req) => {
      const w = windowOf(req.query, now);
      return qualityReport(sumQuality(await aggregates.buckets(w.from, w.to)), w.from, w.to);
    },
  });

  defineRoute<unknown, RateQuery>(app, {
    method: 'GET',
    url: '/anomaly-rate',
    summary: 'Traces and anomalous traces per endpoint over time, for the endpoints with the most anomalies',
    tag: 'aggregates',
    access: 'read',
    query: AnomalyRateQuery,
    responses: { 200: AnomalyRateSchema, 400: ErrorSchema },
    handler: async (req) => {
      const w = windowOf(req.query, now);
      const { endpoint, limit } = req.query;
      return anomalyRate(await aggregates.buckets(w.from, w.to), w, {
        endpoint,
        limit,
        maxPoints: RATE_POINTS,
      });
    },
  });
};
