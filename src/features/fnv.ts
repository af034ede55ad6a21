/**
 * Streaming 64-bit FNV-1a over UTF-8, kept as two unsigned 32-bit halves: BigInt arithmetic would
 * allocate per byte, and call-path hashes are computed for every distinct path of every trace.
 * Streaming matters: hashing a path's suffix onto its parent's state equals hashing the whole path,
 * so a 10k-level path costs O(its last hop), not O(its length).
 */

const PRIME_LO = 0x1b3; // FNV-64 prime = 2^40 + 0x1b3
const TWO_32 = 4294967296;

export class Fnv64 {
  constructor(
    public hi = 0xcbf29ce4,
    public lo = 0x84222325,
  ) {}

  clone(): Fnv64 {
    return new Fnv64(this.hi, this.lo);
  }

  byte(b: number): this {
    const lo = (this.lo ^ b) >>> 0;
    // h * prime = h * 0x1b3 + (h << 40); only the low half's bits reach the high word through the shift.
    const t = lo * PRIME_LO; // < 2^41: exact in a double
    this.hi = (Math.imul(this.hi, PRIME_LO) + Math.floor(t / TWO_32) + Math.imul(lo, 256)) >>> 0;
    this.lo = t >>> 0;
    return this;
  }

  /** Feeds the UTF-8 bytes of `s` (lone surrogates as U+FFFD, as TextEncoder does). */
  string(s: string): this {
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        this.byte(c);
        continue;
      }
      if (c < 0x800) {
        this.byte(0xc0 | (c >> 6)).byte(0x80 | (c & 0x3f));
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          this.byte(0xf0 | (c >> 18))
            .byte(0x80 | ((c >> 12) & 0x3f))
            .byte(0x80 | ((c >> 6) & 0x3f))
            .byte(0x80 | (c & 0x3f));
          continue;
        }
        c = 0xfffd;
      }
      this.byte(0xe0 | (c >> 12))
        .byte(0x80 | ((c >> 6) & 0x3f))
        .byte(0x80 | (c & 0x3f));
    }
    return this;
  }

  /** 16 lowercase hex digits. */
  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

export function fnv64Hex(s: string): string {
  return new Fnv64().string(s).hex();
}
