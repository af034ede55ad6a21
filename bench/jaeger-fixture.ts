/**
 * A synthetic Jaeger v1 query-API document for parse benchmarks: many traces of a few dozen spans with
 * processes, references, typed tags and logs, shaped like what /api/traces returns.
 */
function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

export function jaegerDocument(totalSpans: number, spansPerTrace = 40): { data: unknown[] } {
  const services = ['frontend', 'cart', 'checkout', 'payment', 'shipping', 'currency', 'catalog', 'ads'];
  const data: unknown[] = [];
  let spanCounter = 1;
  for (let t = 0; spanCounter <= totalSpans; t++) {
    const traceID = hex(t + 1, 32);
    const spans: unknown[] = [];
    const base = 1_700_000_000_000_000 + t * 10_000;
    const first = spanCounter;
    for (let i = 0; i < spansPerTrace && spanCounter <= totalSpans; i++, spanCounter++) {
      const parent = i === 0 ? undefined : first + Math.floor((i - 1) / 3);
      spans.push({
        traceID,
        spanID: hex(spanCounter, 16),
        operationName: `/api/${services[i % services.length]}/op${i % 5}`,
        references: parent ? [{ refType: 'CHILD_OF', traceID, spanID: hex(parent, 16) }] : [],
        flags: 1,
        startTime: base + i * 50,
        duration: 5000 - i * 100,
        tags: [
          { key: 'span.kind', type: 'string', value: i % 2 ? 'client' : 'server' },
          { key: 'http.status_code', type: 'int64', value: 200 },
          { key: 'http.method', type: 'string', value: 'GET' },
          { key: 'component', type: 'string', value: 'net/http' },
          { key: 'error', type: 'bool', value: i === 7 },
          { key: 'internal.span.format', type: 'string', value: 'proto' },
        ],
        logs:
          i % 4 === 0
            ? [{ timestamp: base + i * 50 + 10, fields: [{ key: 'event', type: 'string', value: 'x' }] }]
            : [],
        processID: `p${(i % services.length) + 1}`,
        warnings: null,
      });
    }
    const processes: Record<string, unknown> = {};
    services.forEach((s, k) => {
      processes[`p${k + 1}`] = {
        serviceName: s,
        tags: [
          { key: 'hostname', type: 'string', value: `${s}-7d9f-${k}` },
          { key: 'ip', type: 'string', value: `10.0.0.${k}` },
        ],
      };
    });
    data.push({ traceID, spans, processes, warnings: null });
  }
  return { data };
}
