import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { aggregateFiles } from '../../src/cli/topology.js';
import { sumQuality } from '../../src/traffic/minute-buckets.js';
import { QualityReportSchema, qualityReport } from '../../src/traffic/quality.js';
import { TopologySchema } from '../../src/traffic/service-graph.js';

const run = promisify(execFile);
const SAMPLE = 'data/shop-sample.jaeger.json';

describe('tracehound topology', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tracehound-topology-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the topology of trace files as the API serves it', async () => {
    const out = join(dir, 'topology.json');
    await run('npx', ['tsx', 'src/cli/main.ts', 'topology', SAMPLE, '-q', '--output', out]);
    const topo = TopologySchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(topo.nodes.map((n) => n.service)).toContain('frontend');
    const cart = topo.edges.find((e) => e.from === 'frontend' && e.to === 'cartservice');
    expect(cart?.calls).toBeGreaterThan(0);
    expect(cart?.operations?.[0].from).toMatch(/^GET|^POST/);
    // Every served request of a callee arrives over some edge, except the roots'.
    const served = new Map(topo.nodes.map((n) => [n.service, n.calls]));
    const incoming = new Map<string, number>();
    for (const e of topo.edges) incoming.set(e.to, (incoming.get(e.to) ?? 0) + e.calls);
    for (const [svc, calls] of incoming) expect(calls, svc).toBe(served.get(svc));
  });

  it('reports trace quality per service with --quality', async () => {
    const flags = { quiet: true };
    const agg = await aggregateFiles([SAMPLE], flags);
    const b = agg.buckets();
    const report = QualityReportSchema.parse(
      qualityReport(sumQuality(b), b[0].minute, b[b.length - 1].minute + 59_999_999),
    );
    const { stdout } = await run('npx', ['tsx', 'src/cli/main.ts', 'topology', SAMPLE, '-q', '--quality']);
    expect(JSON.parse(stdout)).toEqual(report);
    expect(report.services.reduce((n, s) => n + s.rootTraces, 0)).toBe(
      agg.buckets().reduce((n, x) => n + [...x.endpoints.values()].reduce((m, s) => m + s.traces, 0), 0),
    );
  });

  it('exits 2 naming the file when nothing can be read', async () => {
    const err = await run('npx', [
      'tsx',
      'src/cli/main.ts',
      'topology',
      join(dir, 'missing.json'),
      '-q',
    ]).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/missing\.json/);
  });
});
