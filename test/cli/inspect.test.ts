import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inspectFiles } from '../../src/cli/inspect.js';

const run = promisify(execFile);

function jaegerTrace(t: number, spans: number) {
  const traceID = t.toString(16).padStart(32, '0');
  return {
    traceID,
    processes: { p1: { serviceName: 'api', tags: [] }, p2: { serviceName: 'db', tags: [] } },
    spans: Array.from({ length: spans }, (_, i) => ({
      traceID,
      spanID: (t * 1000 + i + 1).toString(16).padStart(16, '0'),
      operationName: i === 0 ? 'GET /x' : 'query',
      references:
        i === 0
          ? []
          : [{ refType: 'CHILD_OF', traceID, spanID: (t * 1000 + 1).toString(16).padStart(16, '0') }],
      startTime: 1_700_000_000_000_000 + i,
      duration: i === 0 ? 100 : 10,
      tags: [],
      processID: i === 0 ? 'p1' : 'p2',
    })),
  };
}

describe('inspect on the inputs users really have', () => {
  let dir: string;
  const file = (name: string, content: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tracehound-inspect-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a gzipped Jaeger download and counts after normalization', async () => {
    const doc = { data: [jaegerTrace(1, 3), jaegerTrace(2, 4)], total: 0, limit: 0, offset: 0, errors: null };
    const s = await inspectFiles([file('t.json.gz', gzipSync(JSON.stringify(doc)))], { quiet: true });
    expect(s).toMatchObject({
      format: 'jaeger-v1',
      traces: 2,
      spans: 7,
      services: ['api', 'db'],
      operations: 2,
      skipped: 0,
    });
  });

  it('keeps the complete traces of a truncated download and says what was lost', async () => {
    const text = JSON.stringify({ data: [jaegerTrace(1, 3), jaegerTrace(2, 3), jaegerTrace(3, 3)] });
    const s = await inspectFiles([file('cut.json', text.slice(0, text.length - 200))], { quiet: true });
    expect(s.traces).toBe(2);
    expect(s.skipped).toBe(1);
    expect(s.warnings.join('\n')).toMatch(/\$\.data\[2\]: the document ends inside this record/);
  });

  it('skips a malformed trace and keeps its neighbours', async () => {
    const bad = { ...jaegerTrace(2, 2), spans: 'oops' };
    const s = await inspectFiles(
      [file('bad.json', JSON.stringify({ data: [jaegerTrace(1, 2), bad, jaegerTrace(3, 2)] }))],
      {
        quiet: true,
      },
    );
    expect([s.traces, s.spans, s.skipped]).toEqual([2, 4, 1]);
  });

  it('refuses an empty file and binary garbage with the file name and what was expected', async () => {
    await expect(inspectFiles([file('empty.json', '')], { quiet: true })).rejects.toThrow(
      /empty\.json.*empty/,
    );
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    await expect(inspectFiles([file('garbage.bin', garbage)], { quiet: true })).rejects.toThrow(
      /garbage\.bin.*not JSON, CSV or an OTLP/,
    );
  });

  it('CLI: --json prints one object and exits 0; unreadable input exits 2 (a user error) with a message', async () => {
    const good = file('ok.json', JSON.stringify(jaegerTrace(5, 2)));
    const ok = await run('npx', ['tsx', 'src/cli/main.ts', 'inspect', good, '--json', '-q']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ format: 'jaeger-v1', traces: 1, spans: 2 });
    const bad = file('nothing.json', '{"hello": "world"}');
    const err = await run('npx', ['tsx', 'src/cli/main.ts', 'inspect', bad, '--json', '-q']).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/nothing\.json.*not a trace format we know/);
  });
});
