import { normalizeHexId } from '../trace/ids.js';
import type { Attributes } from '../trace/span.js';
import { readKeyValues } from './otlp-attributes.js';

/**
 * Protobuf wire reading for the push path's OTLP reader (otlp-proto-spans.ts): bounds-checked varints,
 * fixed fields and length-delimited ranges over one buffer, and OTLP's AnyValue in the proto-JSON shape
 * that otlp-attributes.ts reads, so attribute values come out as the general reader gives them.
 */

/** AnyValue nesting read for a kept value; readKeyValues cuts at 16 levels, so nothing deeper is looked at. */
const MAX_VALUE_DEPTH = 24;

export class Malformed extends Error {}

/** Protobuf wire reading over one buffer; every read checks its bounds. */
export class Wire {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    public end = buf.length,
  ) {}

  varint(): number {
    // Values above 2^53 lose precision: they are tags, lengths, enums and bools here, all small.
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed(`truncated varint at ${this.pos}`);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new Malformed(`varint longer than 10 bytes at ${this.pos}`);
  }

  /** A signed int64 varint as proto-JSON spells it (a decimal string). */
  int64(): string {
    let v = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed(`truncated varint at ${this.pos}`);
      const b = this.buf[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asIntN(64, v).toString();
      shift += 7n;
    }
    throw new Malformed(`varint longer than 10 bytes at ${this.pos}`);
  }

  /** The end of a length-delimited field that starts here. */
  length(): number {
    const n = this.varint();
    const end = this.pos + n;
    if (end > this.end) throw new Malformed(`length ${n} at ${this.pos} runs past the end`);
    return end;
  }

  skip(wireType: number, field: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.fixed(8);
        return;
      case 2:
        this.pos = this.length();
        return;
      case 3:
        for (;;) {
          const tag = this.varint();
          if ((tag & 7) === 4) {
            if (tag >>> 3 !== field) throw new Malformed(`unmatched group end at ${this.pos}`);
            return;
          }
          this.skip(tag & 7, tag >>> 3);
        }
      case 5:
        this.fixed(4);
        return;
      default:
        throw new Malformed(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }

  fixed(n: number): number {
    const at = this.pos;
    if (at + n > this.end) throw new Malformed(`truncated fixed${n * 8} at ${at}`);
    this.pos = at + n;
    return at;
  }

  string(end: number): string {
    return this.buf.toString('utf8', this.pos, end);
  }
}

/** A fixed64 of nanoseconds at `at` to µs, exactly (the JSON reader cuts the decimal string's last three digits). */
export function micros(buf: Buffer, at: number): number | undefined {
  const lo = buf.readUInt32LE(at);
  const hi = buf.readUInt32LE(at + 4);
  if (lo === 0 && hi === 0) return undefined;
  const hq = Math.floor(hi / 1000);
  const rest = (hi % 1000) * 4294967296 + lo;
  return hq * 4294967296 + (rest - (rest % 1000)) / 1000;
}

/** Ids as otlp-proto.ts + otlp-json.ts read them: the bytes as hex, short ids left-padded, long ones refused. */
export function hexId(buf: Buffer, from: number, to: number, width: 16 | 32): string | undefined {
  if (to - from === width / 2) return buf.toString('hex', from, to);
  return normalizeHexId(buf.toString('hex', from, to), width);
}

export type Range = [number, number];
export type Obj = Record<string, unknown>;

/** An AnyValue in the proto-JSON shape readKeyValues reads (int64 as a decimal string, bytes as base64). */
export function anyValue(w: Wire, end: number, depth: number): Obj {
  const out: Obj = {};
  if (depth > MAX_VALUE_DEPTH) {
    w.pos = end;
    return out;
  }
  while (w.pos < end) {
    const tag = w.varint();
    const f = tag >>> 3;
    const t = tag & 7;
    if (f === 1 && t === 2) {
      const e = w.length();
      out.stringValue = w.string(e);
      w.pos = e;
    } else if (f === 2 && t === 0) out.boolValue = w.varint() !== 0;
    else if (f === 3 && t === 0) out.intValue = w.int64();
    else if (f === 4 && t === 1) out.doubleValue = w.buf.readDoubleLE(w.fixed(8));
    else if ((f === 5 || f === 6) && t === 2) {
      const e = w.length();
      const values: unknown[] = [];
      while (w.pos < e) {
        const tg = w.varint();
        if (tg >>> 3 === 1 && (tg & 7) === 2) {
          const ve = w.length();
          values.push(f === 5 ? anyValue(w, ve, depth + 1) : keyValue(w, ve, depth + 1));
          w.pos = ve;
        } else w.skip(tg & 7, tg >>> 3);
      }
      out[f === 5 ? 'arrayValue' : 'kvlistValue'] = values.length > 0 ? { values } : {};
    } else if (f === 7 && t === 2) {
      const e = w.length();
      out.bytesValue = w.buf.toString('base64', w.pos, e);
      w.pos = e;
    } else w.skip(t, f);
  }
  return out;
}

export function keyValue(w: Wire, end: number, depth: number): Obj {
  const kv: Obj = {};
  while (w.pos < end) {
    const tag = w.varint();
    if (tag === 10) {
      const e = w.length();
      kv.key = w.string(e);
      w.pos = e;
    } else if (tag === 18) {
      const e = w.length();
      kv.value = anyValue(w, e, depth);
      w.pos = e;
    } else w.skip(tag & 7, tag >>> 3);
  }
  return kv;
}

/** Every KeyValue of the given ranges, read in full (resources, exception events: a few per request). */
export function allAttributes(w: Wire, ranges: Range[]): Attributes {
  const list: Obj[] = [];
  for (const [s, e] of ranges) {
    w.pos = s;
    list.push(keyValue(w, e, 0));
  }
  return readKeyValues(list, {});
}

/** The fields of a message whose tags are wanted, as ranges, in order; the rest is skipped (and checked). */
export function fieldsOf(
  w: Wire,
  start: number,
  end: number,
  wanted: (tag: number) => boolean,
): Array<[number, Range]> {
  const out: Array<[number, Range]> = [];
  w.pos = start;
  while (w.pos < end) {
    const tag = w.varint();
    if (wanted(tag)) {
      const e = w.length();
      out.push([tag, [w.pos, e]]);
      w.pos = e;
    } else w.skip(tag & 7, tag >>> 3);
  }
  return out;
}
