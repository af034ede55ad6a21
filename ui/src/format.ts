/** How numbers and times read on screen: short, with units, in the browser's local time. */

export function ms(v: number): string {
  if (v === 0) return '0';
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 100) return `${Math.round(v)} ms`;
  if (v >= 1) return `${v.toFixed(1)} ms`;
  return `${Math.round(v * 1000)} µs`;
}

/** A wall-clock span: seconds under two minutes, then minutes, then hours. */
export function lasted(msSpan: number): string {
  if (msSpan < 120_000) return `${Math.round(msSpan / 1000)} s`;
  if (msSpan < 7_200_000) return `${Math.round(msSpan / 60_000)} min`;
  return `${(msSpan / 3_600_000).toFixed(1)} h`;
}

export const pct = (v: number): string => `${Math.round(v * 100)}%`;

/**
 * One formatter for every time shown: toLocaleString with options builds a new one per call, which a list of
 * a hundred rows pays a hundred times per render.
 */
let clock: Intl.DateTimeFormat | undefined;

/**
 * Builds that formatter ahead of need: a page's first Intl formatter loads its locale's data (tens of ms on a
 * busy machine), time best spent while the first requests are in flight rather than before the rows show.
 */
export function prepareClock(): Intl.DateTimeFormat {
  clock ??= new Intl.DateTimeFormat(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return clock;
}

export function time(iso: string | number): string {
  return prepareClock().format(new Date(iso));
}

/** `datetime-local` input value <-> epoch ms (local time, as the engineer reads it). */
export function toLocalInput(msEpoch: number): string {
  const d = new Date(msEpoch - new Date(msEpoch).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}
export function fromLocalInput(v: string): number | undefined {
  if (!v) return undefined;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? t : undefined;
}

/** A stable hue per service, so a service keeps its colour across screens. */
export function serviceColor(service: string): string {
  let h = 0;
  for (let i = 0; i < service.length; i++) h = (h * 31 + service.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 55% 55%)`;
}
