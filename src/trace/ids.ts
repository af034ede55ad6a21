/** Id normalization: every format spells ids differently (see the Jaeger/Zipkin/OTLP notes). */

const HEX = /^[0-9a-f]+$/;
const ZEROS = '00000000000000000000000000000000';

/** Lowercase hex left-padded to `width`; undefined when the input is not hex or too long. */
export function normalizeHexId(raw: unknown, width: 16 | 32): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0) return undefined;
  let id = raw.toLowerCase();
  if (id.length > width) {
    // A 128-bit id where a 64-bit one was expected: the low half is the span-id convention.
    if (width === 16 && id.length === 32 && id.startsWith('0000000000000000')) id = id.slice(16);
    else return undefined;
  }
  if (!HEX.test(id)) return undefined;
  return id.length === width ? id : ZEROS.slice(0, width - id.length) + id;
}

export const normalizeTraceId = (raw: unknown): string | undefined => normalizeHexId(raw, 32);
export const normalizeSpanId = (raw: unknown): string | undefined => normalizeHexId(raw, 16);

/** An all-zero id means "absent" in OTLP and Jaeger. */
export function isZeroId(id: string): boolean {
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) !== 48) return false;
  return true;
}

/** Base64 bytes (OTLP protobuf as JSON, Jaeger api_v2) to lowercase hex. */
export function base64ToHex(b64: string): string {
  return Buffer.from(b64, 'base64').toString('hex');
}

/**
 * A deterministic new span id derived from an existing one, for the dedupe adjuster.
 * FNV-1a over the id and a salt: cheap, stable across runs, and good enough to avoid collisions
 * within one trace (collisions are re-derived with the next salt).
 */
export function deriveSpanId(id: string, salt: number): string {
  let h1 = 0x811c9dc5 ^ salt;
  let h2 = 0x01000193 ^ (salt * 0x9e3779b1);
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).slice(0, 16);
}
