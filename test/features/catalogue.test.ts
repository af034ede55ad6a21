import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCALAR_FEATURE_NAMES, SCALAR_FEATURES, scalarFeatures } from '../../src/features/catalogue.js';
import { FEATURE_SCHEMA_VERSION } from '../../src/features/schema-version.js';
import { extractProfile } from '../../src/features/profile.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { build, TRACE_ID } from './build.js';

const vectorOf = (v: Float64Array) => Object.fromEntries(SCALAR_FEATURE_NAMES.map((n, i) => [n, v[i]]));

describe('feature catalogue', () => {
  it('has unique names, a documented unit and meaning for each, and schema version 2', () => {
    expect(FEATURE_SCHEMA_VERSION).toBe(2);
    expect(new Set(SCALAR_FEATURE_NAMES).size).toBe(SCALAR_FEATURE_NAMES.length);
    for (const f of SCALAR_FEATURES) {
      expect(f.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(f.meaning.length).toBeGreaterThan(5);
    }
  });

  it('turns a hand-built profile into the hand-computed vector', () => {
    const p = extractProfile(
      build([
        { id: 1, op: 'front:GET', start: 0, duration: 100, kind: 'server' },
        { id: 2, parent: 1, op: 'front:call', start: 10, duration: 50, kind: 'client' }, // 10..60
        { id: 3, parent: 2, op: 'back:handle', start: 15, duration: 40, kind: 'server', error: true }, // 15..55
        { id: 4, parent: 1, op: 'front:db', start: 40, duration: 50 }, // 40..90
      ]),
    );
    const v = scalarFeatures(p);
    expect(v).toHaveLength(SCALAR_FEATURE_NAMES.length);
    expect(vectorOf(v)).toEqual({
      duration_us: 100,
      root_duration_us: 100,
      span_count: 4,
      depth: 3,
      service_count: 2,
      operation_count: 4,
      call_path_count: 4,
      error_spans: 1,
      error_ratio: 0.25,
      root_error: 0,
      completeness: 0.8, // children cover 10..90
      span_duration_ratio: 2.4, // 240 / 100
      orphan_spans: 0,
      root_missing: 0,
      async_spans: 0,
      timing_inferred_spans: 0,
      skew_adjusted_spans: 0,
      id_deduped_spans: 0,
      cycle_broken_spans: 0,
      max_children: 2,
      mean_children: 1.5, // root 2, call 1
      max_repeat: 1,
      cross_service_calls: 1,
      service_edge_count: 1,
      max_edge_calls: 1,
      root_self_time_us: 20,
      root_self_time_ratio: 0.2,
      network_hops: 1,
      network_gap_total_us: 10,
      network_gap_max_us: 10,
      // root 90..100 and 0..10, db 40..90, call 10..15, handle 15..40 (cut by db's start)
      critical_path_spans: 4,
      critical_path_top_service_share: 0.75,
      critical_path_top_span_share: 0.5,
    });
  });

  it('gives finite numbers for an empty trace', () => {
    const v = scalarFeatures(extractProfile(normalizeTrace(TRACE_ID, [])));
    expect(Array.from(v).every(Number.isFinite)).toBe(true);
  });

  it('is described feature by feature in docs/features.md', () => {
    const doc = new URL('../../docs/features.md', import.meta.url);
    expect(existsSync(doc)).toBe(true);
    const text = readFileSync(doc, 'utf8');
    for (const name of SCALAR_FEATURE_NAMES) expect(text, name).toContain(`\`${name}\``);
    expect(text).toContain(`version ${FEATURE_SCHEMA_VERSION}`);
  });
});
