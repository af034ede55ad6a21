import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findRecordArray, splitRecords, type RecordText } from '../../src/formats/json-records.js';

async function split(text: string, chunkSize: number): Promise<RecordText[]> {
  const buf = Buffer.from(text);
  const head = findRecordArray(buf);
  if (!head) throw new Error('no record array');
  async function* chunks() {
    for (let i = 0; i < buf.length; i += chunkSize) yield buf.subarray(i, i + chunkSize);
  }
  const out: RecordText[] = [];
  for await (const r of splitRecords(chunks(), head.offset)) out.push(r);
  return out;
}

describe('json-records', () => {
  it('recognizes the record arrays it can stream, and only those', () => {
    expect(findRecordArray(Buffer.from(' {"data": [{}]}'))?.path).toBe('$.data');
    expect(findRecordArray(Buffer.from('[1]'))?.path).toBe('$');
    expect(findRecordArray(Buffer.from('{"result":{"resourceSpans":[]}}'))?.path).toBe(
      '$.result.resourceSpans',
    );
    expect(findRecordArray(Buffer.from('\ufeff{"resourceSpans":[]}'))?.offset).toBe(3 + 18);
    expect(findRecordArray(Buffer.from('{"total":1,"data":[]}'))).toBeUndefined();
    expect(findRecordArray(Buffer.from('{"traceID":"a","spans":[]}'))).toBeUndefined();
  });

  it('splits elements with strings holding brackets, commas, quotes and escapes, at any chunk size', async () => {
    const els = [{ a: '],[{"' }, { b: 'back\\slash\\\\', c: ['x', { d: '\\"}' }] }, 7, 'str,]', null, []];
    const text = JSON.stringify({ data: els, total: 6 });
    for (const size of [1, 2, 3, 5, 17, 1 << 16]) {
      const got = await split(text, size);
      expect(got.map((r) => ('text' in r ? JSON.parse(r.text) : r))).toEqual(els);
    }
  });

  it('reports a record cut off by the end of the document and keeps the ones before it', async () => {
    const got = await split('{"data":[{"x":1},{"y":[2,3]},{"z":"abc', 4);
    expect(got.slice(0, 2).map((r) => ('text' in r ? JSON.parse(r.text) : r))).toEqual([
      { x: 1 },
      { y: [2, 3] },
    ]);
    expect(got[2]).toMatchObject({ index: 2, error: expect.stringMatching(/truncated/) });
  });

  it('gives back exactly the elements of any JSON array, chunked anyhow', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.jsonValue(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 40 }),
        async (arr, size) => {
          const got = await split(JSON.stringify(arr), size);
          expect(got.map((r) => ('text' in r ? JSON.parse(r.text) : r))).toEqual(
            JSON.parse(JSON.stringify(arr)),
          );
        },
      ),
    );
  });
});
