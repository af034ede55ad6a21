import { describe, expect, it } from 'vitest';
import { generate } from '../../src/sim/index.js';
import { jaegerEnvelope, toJaegerTrace } from '../../src/formats/write/jaeger-v1.js';
import { splitJaegerV1 } from '../../src/sources/jaeger-v1-split.js';

const traces = generate('shop-errors', { seed: 3, durationS: 3 }).traces.slice(0, 12);
const answer = (errors: unknown = null) =>
  Buffer.from(
    JSON.stringify(
      jaegerEnvelope(
        traces.map((t) => toJaegerTrace(t)),
        errors as never,
      ),
    ),
  );

describe('splitting a Jaeger v1 answer without parsing it', () => {
  it('finds each trace as JSON.parse does, and the envelope', () => {
    const body = answer();
    const split = splitJaegerV1(body)!;
    const doc = JSON.parse(body.toString()) as { data: { traceID: string }[]; total: number };
    expect(split.records.map((r) => r.traceId)).toEqual(doc.data.map((t) => t.traceID));
    for (const [i, r] of split.records.entries())
      expect(JSON.parse(body.toString('utf8', r.start, r.end))).toEqual(doc.data[i]);
    expect(JSON.parse(split.envelope)).toMatchObject({ data: [], total: doc.total, errors: null });
  });

  it('keeps the errors of a partial answer and reads an empty one', () => {
    const split = splitJaegerV1(answer([{ code: 500, msg: 'shard down' }]))!;
    expect(split.records).toHaveLength(traces.length);
    expect(JSON.parse(split.envelope).errors).toEqual([{ code: 500, msg: 'shard down' }]);
    expect(splitJaegerV1(Buffer.from(JSON.stringify(jaegerEnvelope([]))))).toMatchObject({ records: [] });
  });

  it('leaves any other layout to the full parse', () => {
    const doc = JSON.parse(answer().toString());
    expect(splitJaegerV1(Buffer.from(JSON.stringify(doc, null, 2)))).toBeUndefined();
    const reordered = {
      ...doc,
      data: doc.data.map(({ traceID, ...rest }: { traceID: string }) => ({ ...rest, traceID })),
    };
    expect(splitJaegerV1(Buffer.from(JSON.stringify(reordered)))).toBeUndefined();
    expect(
      splitJaegerV1(Buffer.from(JSON.stringify({ data: null, errors: [{ msg: 'x' }] }))),
    ).toBeUndefined();
    expect(splitJaegerV1(Buffer.from('{"data":[{"traceID":"zz","spans":[]}],"total":1}'))).toBeUndefined();
  });
});
