/**
 * The Jaeger query API over the live store: legacy v1 (/api/...) with its `{"data":...}` envelope and µs
 * times, and api_v3 (/api/v3/...) with OTLP-shaped results, RFC 3339 times and both camelCase and snake_case
 * parameter names. Errors are JSON written as text/plain, as Jaeger's Go handlers do.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { jaegerEnvelope, toJaegerTrace } from '../formats/write/jaeger-v1.js';
import { toOtlpResourceSpans } from '../formats/write/otlp-json.js';
import type { LiveSim } from './live.js';
import { durationParam, intParam, ParamError, pick, timeParam } from './query.js';
import { dependencies, findTraces, lookup, operations, services, type SpanFilter } from './trace-search.js';

type Query = Record<string, string | string[] | undefined>;

const HOUR_US = 3600e6;

function v1Error(reply: FastifyReply, code: number, msg: string, traceID?: string) {
  return reply
    .code(code)
    .type('text/plain; charset=utf-8')
    .send(JSON.stringify(jaegerEnvelope(null, [{ code, msg, ...(traceID ? { traceID } : {}) }])));
}

function v3Error(reply: FastifyReply, code: number, message: string) {
  const grpc: Record<number, [number, string]> = {
    400: [3, 'Bad Request'],
    404: [5, 'Not Found'],
    500: [13, 'Internal Server Error'],
  };
  const [grpcCode, httpStatus] = grpc[code] ?? [2, 'Error'];
  return reply
    .code(code)
    .type('text/plain; charset=utf-8')
    .send(JSON.stringify({ error: { grpcCode, httpCode: code, message, httpStatus } }));
}

function all(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function tagsOf(q: Query): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  for (const t of all(q.tag)) {
    const i = t.indexOf(':');
    if (i <= 0)
      throw new ParamError(`malformed 'tag' parameter, expecting key:value, got ${JSON.stringify(t)}`);
    tags[t.slice(0, i)] = t.slice(i + 1);
  }
  for (const j of all(q.tags)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(j);
    } catch {
      throw new ParamError(`malformed 'tags' parameter, expecting a JSON object, got ${JSON.stringify(j)}`);
    }
    if (typeof parsed !== 'object' || parsed === null)
      throw new ParamError(`malformed 'tags' parameter: not an object`);
    for (const [k, v] of Object.entries(parsed)) tags[k] = String(v);
  }
  return Object.keys(tags).length > 0 ? tags : undefined;
}

export function jaegerRoutes(live: LiveSim) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', async () => {
      live.advance();
    });

    app.get('/api/services', async () => jaegerEnvelope(services(live)));

    app.get<{ Params: { service: string } }>('/api/services/:service/operations', async (req) =>
      jaegerEnvelope([...new Set(operations(live, req.params.service).map((o) => o.name))]),
    );

    app.get<{ Querystring: Query }>('/api/operations', async (req, reply) => {
      const service = pick(req.query, 'service') as string | undefined;
      if (!service) return v1Error(reply, 400, "parameter 'service' is required");
      const kind = pick(req.query, 'spanKind') as string | undefined;
      return jaegerEnvelope(operations(live, service).filter((o) => !kind || o.spanKind === kind));
    });

    app.get<{ Querystring: Query }>('/api/traces', async (req, reply) => {
      const q = req.query;
      const ids = all(q.traceID);
      if (ids.length > 0) {
        const found = ids.map((id) => lookup(live, id)).filter((t) => t !== undefined);
        if (found.length === 0) return v1Error(reply, 404, 'trace not found');
        return jaegerEnvelope(found.map((t) => toJaegerTrace(t.spans)));
      }
      try {
        const service = pick(q, 'service') as string | undefined;
        if (!service) return v1Error(reply, 400, "parameter 'service' is required");
        const end = intParam('end', pick(q, 'end')) ?? live.simNow();
        const start = intParam('start', pick(q, 'start')) ?? end - HOUR_US;
        const f: SpanFilter = {
          service,
          operation: (pick(q, 'operation') as string | undefined) || undefined,
          startMin: start,
          startMax: end,
          durMin: durationParam('minDuration', pick(q, 'minDuration')),
          durMax: durationParam('maxDuration', pick(q, 'maxDuration')),
          tags: tagsOf(q),
        };
        const limit = intParam('limit', pick(q, 'limit'), 100)! || 100;
        return jaegerEnvelope(findTraces(live, f, limit).map((t) => toJaegerTrace(t.spans)));
      } catch (err) {
        if (err instanceof ParamError) return v1Error(reply, 400, err.message);
        throw err;
      }
    });

    app.get<{ Params: { traceID: string } }>('/api/traces/:traceID', async (req, reply) => {
      const t = lookup(live, req.params.traceID);
      if (!t) return v1Error(reply, 404, 'trace not found', req.params.traceID);
      return jaegerEnvelope([toJaegerTrace(t.spans)]);
    });

    app.get<{ Querystring: Query }>('/api/dependencies', async (req, reply) => {
      try {
        const endMs = intParam('endTs', pick(req.query, 'endTs')) ?? Math.floor(live.simNow() / 1000);
        const lookbackMs = intParam('lookback', pick(req.query, 'lookback')) ?? 86_400_000;
        return jaegerEnvelope(dependencies(live, (endMs - lookbackMs) * 1000, endMs * 1000));
      } catch (err) {
        if (err instanceof ParamError) return v1Error(reply, 400, err.message);
        throw err;
      }
    });

    // api_v3
    app.get('/api/v3/services', async () => ({ services: services(live) }));

    app.get<{ Querystring: Query }>('/api/v3/operations', async (req, reply) => {
      const service = pick(req.query, 'service') as string | undefined;
      if (!service) return v3Error(reply, 400, 'service is required');
      const kind = pick(req.query, 'spanKind', 'span_kind') as string | undefined;
      return { operations: operations(live, service).filter((o) => !kind || o.spanKind === kind) };
    });

    app.get<{ Querystring: Query }>('/api/v3/traces', async (req, reply) => {
      const q = req.query;
      try {
        const startMin = timeParam(
          'query.start_time_min',
          pick(q, 'query.start_time_min', 'query.startTimeMin'),
        );
        const startMax = timeParam(
          'query.start_time_max',
          pick(q, 'query.start_time_max', 'query.startTimeMax'),
        );
        if (startMin === undefined || startMax === undefined)
          return v3Error(reply, 400, 'query.start_time_min and query.start_time_max are required');
        const f: SpanFilter = {
          service: (pick(q, 'query.service_name', 'query.serviceName') as string | undefined) || undefined,
          operation:
            (pick(q, 'query.operation_name', 'query.operationName') as string | undefined) || undefined,
          startMin,
          startMax,
          durMin: durationParam('query.duration_min', pick(q, 'query.duration_min', 'query.durationMin')),
          durMax: durationParam('query.duration_max', pick(q, 'query.duration_max', 'query.durationMax')),
        };
        const attrs = pick(q, 'query.attributes');
        if (typeof attrs === 'string' && attrs !== '') {
          try {
            f.tags = Object.fromEntries(
              Object.entries(JSON.parse(attrs) as object).map(([k, v]) => [k, String(v)]),
            );
          } catch {
            throw new ParamError(`unable to parse param 'query.attributes': not a JSON object`);
          }
        }
        const limit =
          intParam(
            'query.num_traces',
            pick(q, 'query.num_traces', 'query.searchDepth', 'query.search_depth'),
            100,
          )! || 100;
        const found = findTraces(live, f, limit);
        if (found.length === 0) return v3Error(reply, 404, 'No traces found');
        return { result: { resourceSpans: found.flatMap((t) => toOtlpResourceSpans(t.spans)) } };
      } catch (err) {
        if (err instanceof ParamError) return v3Error(reply, 400, err.message);
        throw err;
      }
    });

    app.get<{ Params: { traceID: string } }>('/api/v3/traces/:traceID', async (req, reply) => {
      const t = lookup(live, req.params.traceID);
      if (!t) return v3Error(reply, 404, 'trace not found');
      return { result: { resourceSpans: toOtlpResourceSpans(t.spans) } };
    });
  };
}
