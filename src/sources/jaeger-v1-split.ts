/**
 * Finds the traces of a Jaeger v1 search answer without parsing it. Jaeger's query service writes its JSON
 * with Go's encoding/json, which emits struct fields in declaration order: every trace object begins
 * `{"traceID":"<hex>","spans":[` and the envelope is `{"data":[...],"total":...}`. Inside JSON strings a
 * quote is always escaped, so that byte sequence can only be a trace's own start. A byte search finds each
 * start; a trace ends where the next begins (less the comma) and the last where the data array closes.
 *
 * Why: a search by service finds every trace that touches the service, so most of what a poll fetches was
 * handed on already by another service's poller. Dropping those before JSON.parse makes them cost a memory
 * scan instead of a parse. Any answer laid out differently is left to the caller's full parse (undefined).
 */

export interface SplitRecord {
  /** The trace id as written (not canonicalized). */
  traceId: string;
  start: number;
  end: number;
}

export interface SplitAnswer {
  records: SplitRecord[];
  /** The envelope without its traces, `{"data":[],...}`, to parse for errors and totals. */
  envelope: string;
}

const HEAD = Buffer.from('{"data":[');
const START = Buffer.from('{"traceID":"');
// A trace's id, its spans array and the first span's own id key: 23 bytes, which the byte search skips
// through about 1.7 times as fast as `","spans":[` alone (measured on the simulated shop's answers). A trace
// without spans (nothing to score) does not match and falls into the record before it: dropped with it when
// that one was handed on already, else caught by the caller's count check and read by the full parse.
const AFTER_ID = Buffer.from('","spans":[{"traceID":"');
const CLOSE = Buffer.from('],"total":');
const HEX = /^[0-9a-fA-F]{1,32}$/;

export function splitJaegerV1(body: Buffer): SplitAnswer | undefined {
  if (body.length < HEAD.length || !body.subarray(0, HEAD.length).equals(HEAD)) return undefined;
  const close = body.lastIndexOf(CLOSE);
  if (close < HEAD.length - 1) return undefined;
  const envelope = '{"data":[' + body.toString('utf8', close);
  if (close === HEAD.length) return { records: [], envelope };
  // Searched by what follows a trace's id, which spans (`{"traceID":"..","spanID"`) never have: one hit
  // per trace, then its start is found backwards.
  const starts: { at: number; traceId: string }[] = [];
  for (
    let hit = body.indexOf(AFTER_ID, HEAD.length);
    hit !== -1 && hit < close;
    hit = body.indexOf(AFTER_ID, hit + 1)
  ) {
    const open = body.lastIndexOf(START, hit);
    if (open < HEAD.length) return undefined;
    const traceId = body.toString('latin1', open + START.length, hit);
    if (!HEX.test(traceId)) return undefined;
    starts.push({ at: open, traceId });
  }
  if (starts.length === 0 || starts[0].at !== HEAD.length) return undefined;
  const records: SplitRecord[] = [];
  for (let i = 0; i < starts.length; i++) {
    const next = i + 1 < starts.length ? starts[i + 1].at : -1;
    // Records are separated by exactly one comma: anything else is not the layout we expect.
    if (next !== -1 && body[next - 1] !== 0x2c) return undefined;
    records.push({ traceId: starts[i].traceId, start: starts[i].at, end: next === -1 ? close : next - 1 });
  }
  return { records, envelope };
}
