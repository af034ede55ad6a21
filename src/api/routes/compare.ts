import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { BaselineModel } from '../../detectors/baseline/model.js';
import { compareTraces } from '../../explain/compare.js';
import { viewSpans } from '../../explain/span-context.js';
import { typicalTrace } from '../../explain/typical-trace.js';
import { isoFromMicros } from '../../trace/iso-time.js';
import type { AnomalyStore } from '../../store/anomalies.js';
import { endpointKey } from '../../trace/endpoint-key.js';
import { traceOfKeptSpans } from '../../trace/kept-spans.js';
import type { Trace } from '../../trace/trace.js';
import { ApiError, ErrorSchema, notFound } from '../errors.js';
import { ComparisonSchema, IdParams, type Comparison } from '../schemas.js';
import { defineRoute } from '../zod-bridge.js';

/** What the service keeps of an endpoint's normal traffic. */
export interface NormalTraffic {
  /** A bounded sample of the endpoint's normal traces (its training reservoir). */
  traces(endpoint: string): Promise<Trace[]>;
  /** The endpoint's active baseline, for each path's normal range; undefined before its first model. */
  baseline(endpoint: string): Promise<BaselineModel | undefined>;
}

/** GET /v1/anomalies/{id}/compare: fetches, then leaves choosing and diffing to the core. */
export const compareRoutes: FastifyPluginAsync<{
  anomalies: Pick<AnomalyStore, 'get'>;
  normals: NormalTraffic;
}> = async (app, { anomalies, normals }) => {
  defineRoute<z.output<typeof IdParams>>(app, {
    method: 'GET',
    url: '/anomalies/:id/compare',
    summary:
      'An anomaly beside a typical normal trace of its endpoint, and what differs: slower, faster, missing, new, failed',
    tag: 'anomalies',
    access: 'read',
    params: IdParams,
    responses: { 200: ComparisonSchema, 400: ErrorSchema, 404: ErrorSchema },
    handler: async (req): Promise<Comparison> => {
      const { id } = req.params;
      const a = await anomalies.get(id);
      if (!a) throw notFound(`anomaly ${id}`);
      if (!a.spans?.length)
        throw new ApiError(404, 'not_found', `anomaly ${id} kept no spans, so there is nothing to compare`);
      const endpoint = endpointKey(a.service, a.operation);
      const [sample, baseline] = await Promise.all([normals.traces(endpoint), normals.baseline(endpoint)]);
      const typical = typicalTrace(sample.filter((t) => t.traceId !== a.traceId));
      if (!typical)
        throw new ApiError(
          404,
          'no_normal_trace',
          `no normal trace of ${endpoint} yet: one is kept once a trace of it is scored and not flagged`,
        );
      const { trace, profile } = typical;
      const rows = compareTraces(traceOfKeptSpans(a.traceId, a.spans), trace, {
        baseline,
        normalProfile: profile,
      });
      return {
        anomalyId: a.id,
        endpoint,
        normal: {
          traceId: trace.traceId,
          startTime: isoFromMicros(trace.start),
          durationMs: profile.rootDurationUs / 1000,
          spans: viewSpans(trace, baseline, profile),
        },
        choice: {
          candidates: typical.candidates,
          sameShape: typical.sameShape,
          medianMs: typical.medianUs / 1000,
        },
        rows,
      };
    },
  });
};
