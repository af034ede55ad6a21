/** The Zipkin v2 query API over the live store: bare arrays, µs span times, ms query times. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { toZipkinSpans } from '../formats/write/zipkin-v2.js';
import type { LiveSim } from './live.js';
import { intParam, ParamError, pick } from './query.js';
import { findTraces, lookup, operations, services } from './trace-search.js';

type Query = Record<string, string | string[] | undefined>;

function bad(reply: FastifyReply, msg: string) {
  return reply.code(400).type('text/plain; charset=utf-8').send(msg);
}

/** Zipkin's annotationQuery: "k=v and k2 and ..." over tags. */
function annotationTags(q: string | undefined): Record<string, string> | undefined {
  if (!q) return undefined;
  const tags: Record<string, string> = {};
  for (const part of q.split(/\s+and\s+/i)) {
    const i = part.indexOf('=');
    if (i > 0) tags[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return Object.keys(tags).length > 0 ? tags : undefined;
}

export function zipkinRoutes(live: LiveSim) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', async () => {
      live.advance();
    });

    app.get('/api/v2/services', async () => services(live));

    app.get<{ Querystring: Query }>('/api/v2/spans', async (req, reply) => {
      const service = pick(req.query, 'serviceName') as string | undefined;
      if (!service) return bad(reply, 'serviceName is required');
      return [...new Set(operations(live, service).map((o) => o.name))].sort();
    });

    app.get<{ Querystring: Query }>('/api/v2/remoteServices', async (req, reply) => {
      const service = pick(req.query, 'serviceName') as string | undefined;
      if (!service) return bad(reply, 'serviceName is required');
      const seen = new Set<string>();
      for (const t of live.newestFirst())
        for (const s of t.spans) {
          const peer = s.attributes['peer.service'];
          if (s.service === service && typeof peer === 'string') seen.add(peer);
        }
      return [...seen].sort();
    });

    app.get<{ Querystring: Query }>('/api/v2/traces', async (req, reply) => {
      const q = req.query;
      try {
        const endTs = intParam('endTs', pick(q, 'endTs')) ?? Math.floor(live.simNow() / 1000);
        const lookback = intParam('lookback', pick(q, 'lookback')) ?? 86_400_000;
        const limit = intParam('limit', pick(q, 'limit'), 10)!;
        const spanName = pick(q, 'spanName') as string | undefined;
        const found = findTraces(
          live,
          {
            service: (pick(q, 'serviceName') as string | undefined) || undefined,
            operation: spanName && spanName !== 'all' ? spanName : undefined,
            remoteService: (pick(q, 'remoteServiceName') as string | undefined) || undefined,
            startMin: (endTs - lookback) * 1000,
            startMax: endTs * 1000,
            durMin: intParam('minDuration', pick(q, 'minDuration')),
            durMax: intParam('maxDuration', pick(q, 'maxDuration')),
            tags: annotationTags(pick(q, 'annotationQuery') as string | undefined),
          },
          limit,
        );
        return found.map((t) => toZipkinSpans(t.spans));
      } catch (err) {
        if (err instanceof ParamError) return bad(reply, err.message);
        throw err;
      }
    });

    app.get<{ Params: { traceId: string } }>('/api/v2/trace/:traceId', async (req, reply) => {
      const t = lookup(live, req.params.traceId);
      if (!t)
        return reply.code(404).type('text/plain; charset=utf-8').send(`${req.params.traceId} not found`);
      return toZipkinSpans(t.spans);
    });
  };
}
