import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readTracePayload, readTraceFiles } from '../../src/formats/read.js';
import { detectContainer } from '../../src/formats/detect.js';
import { jaegerDocument } from '../../bench/jaeger-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'tracehound-long-line-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Four Jaeger traces of 50 spans with a 2 KB tag each: every trace alone is over the 64 KB a file's head holds.
const traces = jaegerDocument(200, 50).data as Array<{ spans: Array<{ tags: unknown[] }> }>;
for (const t of traces)
  for (const s of t.spans) s.tags.push({ key: 'note', type: 'string', value: 'x'.repeat(2000) });
const KB64 = 64 * 1024;

/** Gzipped, as the Collector's file exporter can write them: gunzip hands the reader 16 KB at a time. */
async function read(name: string, text: string, gzip = true) {
  const file = join(dir, name);
  writeFileSync(file, gzip ? gzipSync(text) : text);
  const ids: string[] = [];
  const report = await readTraceFiles([file], {}, (t) => ids.push(t.traceId));
  return { report, ids };
}

describe('NDJSON whose first line is longer than 64 KB', () => {
  it('is detected from the whole line, and a head that ends inside it says json', () => {
    const text = traces.map((t) => JSON.stringify(t)).join('\n') + '\n';
    expect(text.indexOf('\n')).toBeGreaterThan(KB64);
    expect(detectContainer(Buffer.from(text))).toBe('ndjson');
    expect(detectContainer(Buffer.from(text).subarray(0, KB64))).toBe('json');
  });

  it('reads every line of a file of Jaeger {"data":[...]} documents, the first one streamed', async () => {
    const lines = [{ data: traces.slice(0, 2) }, { data: [traces[2]] }, { data: [traces[3]] }];
    const { report, ids } = await read('data.ndjson', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
    expect(report.spans).toBe(200);
    expect(report.skipped).toBe(0);
  });

  it('reads every line of a plain file whose first line is longer than one 1 MB read', async () => {
    const big = Array.from({ length: 12 }, () => traces[0]);
    const text = [JSON.stringify({ data: big }), JSON.stringify({ data: [traces[1]] })].join('\n');
    expect(text.indexOf('\n')).toBeGreaterThan(1 << 20);
    const { ids } = await read('plain.ndjson', text, false);
    // Each record of the first line is handed on alone (records are whole traces), then the second line.
    expect(ids).toHaveLength(13);
    expect(ids[12]).toBe('2'.padStart(32, '0'));
  });

  it('reads every line of a file of bare trace objects', async () => {
    const { report, ids } = await read('bare.ndjson', traces.map((t) => JSON.stringify(t)).join('\n'));
    expect(ids).toHaveLength(4);
    expect(report.spans).toBe(200);
    expect(report.skipped).toBe(0);
  });

  it('skips and counts a bad line after the long one, naming it', async () => {
    const text = [
      JSON.stringify({ data: traces.slice(0, 2) }),
      '{"data": [',
      JSON.stringify({ data: [traces[3]] }),
    ];
    const { report, ids } = await read('bad.ndjson', text.join('\n'));
    expect(ids).toHaveLength(3);
    expect(report.skipped).toBe(1);
    expect(report.skipSamples[0]).toMatch(/line 2/);
  });

  it('reads every line of a request body', () => {
    const body = Buffer.from(traces.map((t) => JSON.stringify({ data: [t] })).join('\n'));
    const { traces: got, report } = readTracePayload(body);
    expect(got).toHaveLength(4);
    expect(report.skipped).toBe(0);
  });
});

describe('a lone JSON document', () => {
  it('ends at its last bracket: members after the record array, strings with brackets, no extra lines', async () => {
    const doc = { data: traces.slice(0, 2), total: 2, errors: [{ msg: 'a "quoted" ] } [ {' }] };
    const { report, ids } = await read('lone.json', JSON.stringify(doc, null, 1) + '\n\n');
    expect(ids).toHaveLength(2);
    expect(report.skipped).toBe(0);
  });
});
