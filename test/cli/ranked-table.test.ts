import { describe, expect, it } from 'vitest';
import { rankedTable } from '../../src/cli/analyze.js';
import type { ScoredTrace } from '../../src/scoring/scored-trace.js';

const trace = (n: number, surprise: number | undefined, score = 1): ScoredTrace => ({
  traceId: n.toString(16).padStart(32, '0'),
  service: 'frontend',
  operation: 'GET /',
  startTime: '2026-01-01T00:00:00.000Z',
  durationMs: 10,
  spanCount: 3,
  score,
  ...(surprise === undefined ? {} : { surprise, impact: { addedMs: 0, errors: 0 } }),
  anomalous: true,
  detectors: {},
  rootCauses: [],
});

describe('analyze: the ranked table', () => {
  it('ranks traces whose scores all read 1 by surprise, and shows it', () => {
    const lines = rankedTable([trace(1, 7.5), trace(2, 52.25), trace(3, 19), trace(4, undefined, 0.999)], 10)
      .trim()
      .split('\n');
    expect(lines[0]).toMatch(/score\s+surprise/);
    expect(lines.slice(1).map((l) => l.match(/[0-9a-f]{32}/)![0].slice(-1))).toEqual(['2', '3', '1', '4']);
    expect(lines[1]).toMatch(/1\.0000\s+52\.25 /);
    expect(lines[4]).toMatch(/0\.9990\s+3\.00 /);
  });
});
