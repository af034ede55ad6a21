import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { hashId, readCsvStream } from '../../src/formats/csv.js';
import { parseColumns, toMicros } from '../../src/formats/csv-mapping.js';
import { InputError } from '../../src/formats/types.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { collectingSink } from './helpers/collect.js';

const fixturePath = (name: string) => new URL(`../fixtures/csv/${name}`, import.meta.url);

async function readFixture(name: string, opts: { preset?: string; columns?: string } = {}) {
  const sink = collectingSink();
  await readCsvStream(createReadStream(fixturePath(name)), sink, { ...opts, file: name });
  return sink;
}

async function readText(text: string, opts: { preset?: string; columns?: string } = {}) {
  const sink = collectingSink();
  await readCsvStream(Readable.from([Buffer.from(text)]), sink, { ...opts, file: 'mem.csv' });
  return sink;
}

describe('span tables: nezha', () => {
  it('detects the preset, derives the service from the pod and reads root as no parent', async () => {
    const sink = await readFixture('nezha-small.csv');
    expect(sink.spans).toHaveLength(3);
    const [root, select, call] = sink.spans;
    expect(root.traceId).toBe('00000000000000000000000000007f2c');
    expect(root.spanId).toBe('00000000000000a1');
    expect(root.parentId).toBeUndefined();
    expect(root.service).toBe('ts-order-service');
    expect(root.instance).toBe('ts-order-service-6f6cfc45b-h5m2n');
    // ns start cut to µs; Duration column taken as µs.
    expect(root.start).toBe(1674981768697000);
    expect(root.duration).toBe(318316);
    expect(select.parentId).toBe('00000000000000a1');
    expect(call.service).toBe('ts-station-service');
    expect(call.kind).toBe('internal');
  });

  it('skips and counts bad rows by line, and keeps reading', async () => {
    const sink = await readFixture('nezha-small.csv');
    expect(sink.skips).toEqual([
      expect.stringMatching(/^line 5: start "not-a-time"/),
      expect.stringMatching(/^line 6: expected 8 columns, found 4/),
      expect.stringMatching(/^line 7: missing traceId/),
    ]);
  });

  it('feeds a tree the adjusters accept', async () => {
    const sink = await readFixture('nezha-small.csv');
    const t = normalizeTrace(sink.spans[0].traceId, sink.spans, { clockSkew: false });
    expect(t.spans[t.root].operation).toBe('/order');
    expect(t.maxDepth).toBe(2);
    expect(t.orphans).toEqual([]);
  });
});

describe('span tables: shapleyiq', () => {
  it('marks errors from the error tag and from HTTP 5xx, and reads kind and instance', async () => {
    const sink = await readFixture('shapleyiq-small.csv');
    expect(sink.skips).toEqual([]);
    expect(sink.spans.map((s) => s.error)).toEqual([false, false, true, true, false]);
    expect(sink.spans[3].statusMessage).toBe('HTTP 503');
    expect(sink.spans.map((s) => s.kind)).toEqual(['server', 'client', 'server', 'server', 'internal']);
    expect(sink.spans[0].instance).toBe('10.244.2.45');
    expect(sink.spans[4].instance).toBeUndefined();
    expect(sink.spans[0].traceId).toBe('0000000000000000728a93c5ff65cfac');
    expect(sink.spans[0].parentId).toBeUndefined();
    expect(sink.spans[1].attributes).toEqual({
      component: 'java-spring-rest-template',
      'http.status_code': '200',
    });
  });
});

describe('span tables: tracebench', () => {
  it('hashes non-hex ids consistently, splits parent lists into parent and links, uses ns durations', async () => {
    const sink = await readFixture('tracebench-small.csv');
    expect(sink.skips).toEqual([]);
    const [user, nn, dn] = sink.spans;
    expect(user.spanId).toBe(hashId('ROOT-REPORT', 16));
    expect(user.traceId).toBe(hashId('TASK-ONE', 32));
    expect(user.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(nn.parentId).toBe(user.spanId);
    expect(nn.spanId).toBe('c47c9a2d664acf66');
    expect(dn.parentId).toBe('c47c9a2d664acf66');
    expect(dn.links).toEqual([user.spanId]);
    expect(sink.warnings.some((w) => w.includes('ROOT-REPORT') || w.includes('TASK-ONE'))).toBe(true);
    expect([user.service, nn.service, dn.service]).toEqual(['User', 'Namenode', 'Datanode']);
    expect(dn.instance).toBe('datanode007');
    expect(dn.duration).toBe(3500);
    expect(dn.start).toBe(7000000);
    expect([user.error, nn.error, dn.error]).toEqual([false, false, true]);
    expect(dn.statusMessage).toMatch(/^IOException/);
    expect(nn.statusMessage).toBeUndefined();
  });
});

describe('span tables: column mapping', () => {
  const header = 'tid,sid,pid,svc,op,begin_ms,took_s,failed\n';
  it('maps columns with units and attributes', async () => {
    const sink = await readText(
      header + 'ab,01,,api,GET /,1700000000123.5,0.25,false\nab,02,01,db,q,1700000000124,0.001,yes\n',
      {
        columns:
          'traceId=tid,spanId=sid,parentId=pid,service=svc,operation=op,start=begin_ms,startUnit=ms,duration=took_s,durationUnit=s,error=failed,attr.raw.op=op',
      },
    );
    expect(sink.skips).toEqual([]);
    expect(sink.spans[0]).toMatchObject({
      start: 1700000000123500,
      duration: 250000,
      error: false,
      service: 'api',
    });
    expect(sink.spans[0].attributes).toEqual({ 'raw.op': 'GET /' });
    expect(sink.spans[1]).toMatchObject({
      start: 1700000000124000,
      duration: 1000,
      error: true,
      parentId: '0000000000000001',
    });
  });

  it('lets --columns override one column of a preset', async () => {
    const sink = await readFixture('nezha-small.csv', {
      preset: 'nezha',
      columns: 'service=OperationName,serviceStrip=0',
    });
    expect(sink.spans[0].service).toBe('/order');
  });

  it('computes the start from end and duration, and the duration from start and end', async () => {
    const sink = await readText('t,s,e,d\n1,1,5000,1000\n1,2,,\n', {
      columns: 'traceId=t,spanId=s,end=e,duration=d',
    });
    expect(sink.spans[0]).toMatchObject({ start: 4000, duration: 1000 });
    expect(sink.skips).toEqual([expect.stringMatching(/^line 3: missing start time/)]);
    const s2 = await readText('t,s,a,b\n1,1,100,90\n1,2,100,150\n', {
      columns: 'traceId=t,spanId=s,start=a,end=b',
    });
    expect(s2.skips).toEqual([expect.stringMatching(/^line 2: end 90 is before start 100/)]);
    expect(s2.spans[0].duration).toBe(50);
  });

  it('skips a row with a broken quote and keeps the rest', async () => {
    const sink = await readText('t,s,a\n1,1,100\n1,"2,100\n', { columns: 'traceId=t,spanId=s,start=a' });
    expect(sink.spans).toHaveLength(1);
    expect(sink.skips.length).toBeGreaterThan(0);
  });

  it('converts time units, keeping nanosecond epochs exact', () => {
    expect(toMicros('1674981768697763387', 'ns')).toBe(1674981768697763);
    expect(toMicros('999', 'ns')).toBe(0);
    expect(toMicros('1.5', 's')).toBe(1_500_000);
    expect(toMicros('', 'us')).toBeUndefined();
    expect(toMicros('-3', 'us')).toBeNaN();
    expect(toMicros('12abc', 'us')).toBeNaN();
  });

  it('rejects a malformed mapping with the reason', () => {
    expect(() => parseColumns('traceId')).toThrow(/not key=value/);
    expect(() => parseColumns('startUnit=fortnights')).toThrow(/ns, us, ms, s/);
    expect(() => parseColumns('colour=x')).toThrow(/unknown key "colour"/);
  });
});

describe('span tables: whole-file errors', () => {
  it('names the header, the presets and the --columns syntax when nothing matches', async () => {
    const err = await readText('a,b,c\n1,2,3\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).toContain('mem.csv');
    expect(msg).toContain('"a,b,c"');
    for (const p of ['nezha', 'shapleyiq', 'tracebench']) expect(msg).toContain(p);
    expect(msg).toContain('--columns');
  });

  it('names a mapped column that is missing from the header', async () => {
    await expect(readText('t,s\n1,2\n', { columns: 'traceId=t,spanId=s,start=when' })).rejects.toThrow(
      /column "when" \(for start\) is not in the header "t,s"/,
    );
  });

  it('rejects an unknown preset by listing the known ones', async () => {
    await expect(readText('t,s\n', { preset: 'jaeger' })).rejects.toThrow(
      /unknown preset "jaeger"; presets: nezha/,
    );
  });

  it('hashes to distinct, fixed-width, non-zero hex ids', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(hashId(`task-${i}`, 16));
    expect(seen.size).toBe(5000);
    expect(hashId('x', 32)).toMatch(/^[0-9a-f]{32}$/);
    expect(hashId('x', 32)).toBe(hashId('x', 32));
  });
});
