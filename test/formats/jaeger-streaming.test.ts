import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTraceFiles } from '../../src/formats/read.js';
import { jaegerDocument } from '../../bench/jaeger-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'tracehound-jaeger-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a large Jaeger trace list', () => {
  it('hands each trace on as soon as its record is read, not at the end of the file', async () => {
    // ~7 MB: several read chunks.
    const file = join(dir, 'traces.json');
    writeFileSync(file, JSON.stringify(jaegerDocument(10_000, 40)));
    const total = statSync(file).size;
    let bytesRead = 0;
    const readAtTrace: number[] = [];
    const ids: string[] = [];
    const report = await readTraceFiles([file], { onProgress: (b) => (bytesRead = b) }, (t) => {
      readAtTrace.push(bytesRead);
      ids.push(t.traceId);
    });
    expect(report.traces).toBe(250);
    expect(report.spans).toBe(10_000);
    // In input order, each one whole.
    expect(ids).toEqual([...ids].sort());
    // The first traces went on while most of the file was still unread: memory holds a window, not the file.
    expect(readAtTrace[0]).toBeLessThan(total / 2);
    expect(readAtTrace[Math.floor(readAtTrace.length / 4)]).toBeLessThan(total);
  });
});
