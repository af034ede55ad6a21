/**
 * A tracer's sampler in a process of its own, for the remote-sampling test: `@opentelemetry/sampler-jaeger-remote`
 * polling `<endpoint>/sampling?service=<service>` every 100 ms. Each stdin line names operations; the answer
 * (one JSON line) is, per operation, the share of `n` root spans with random trace ids the sampler kept.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { JaegerRemoteSampler } from '@opentelemetry/sampler-jaeger-remote';
import { AlwaysOffSampler, SamplingDecision } from '@opentelemetry/sdk-trace';

const [endpoint, service, n = '20000'] = process.argv.slice(2);
const sampler = new JaegerRemoteSampler({
  endpoint,
  serviceName: service,
  poolingInterval: 100,
  initialSampler: new AlwaysOffSampler(),
});

for await (const line of createInterface({ input: process.stdin })) {
  const ops = JSON.parse(line) as string[];
  const kept: Record<string, number> = {};
  for (const op of ops) {
    let k = 0;
    for (let i = 0; i < Number(n); i++) {
      const traceId = randomBytes(16).toString('hex');
      const r = sampler.shouldSample(ROOT_CONTEXT, traceId, op, SpanKind.SERVER, {}, []);
      if (r.decision === SamplingDecision.RECORD_AND_SAMPLED) k++;
    }
    kept[op] = k / Number(n);
  }
  process.stdout.write(JSON.stringify(kept) + '\n');
}
