import { Fnv64 } from './fnv.js';

/**
 * The shape of a trace: FNV-1a 64 (16 hex digits) over its multiset of call paths, i.e. over
 * (path hash, count) pairs sorted by path hash, each fed as 12 little-endian bytes. Timing plays no
 * part, so two traces of one request type that made the same calls the same number of times share a
 * signature, and one extra call changes it. Path hashes (not keys) are used so that deep, abbreviated
 * paths still count by their full path, and so that no string is built or compared.
 */
export function structureSignature(
  hashHi: ArrayLike<number>,
  hashLo: ArrayLike<number>,
  count: ArrayLike<number>,
): string {
  const m = hashHi.length;
  const idx = new Int32Array(m);
  for (let p = 0; p < m; p++) idx[p] = p;
  idx.sort((a, b) => hashHi[a] - hashHi[b] || hashLo[a] - hashLo[b] || count[a] - count[b]);
  const h = new Fnv64();
  for (let k = 0; k < m; k++) {
    const p = idx[k];
    word(h, hashHi[p]);
    word(h, hashLo[p]);
    word(h, count[p]);
  }
  return h.hex();
}

function word(h: Fnv64, v: number): void {
  h.byte(v & 0xff)
    .byte((v >>> 8) & 0xff)
    .byte((v >>> 16) & 0xff)
    .byte((v >>> 24) & 0xff);
}
