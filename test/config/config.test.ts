import { describe, expect, it } from 'vitest';
import { loadConfig, parseHeaders } from '../../src/config.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.PORT).toBe(8080);
    expect(c.TRACEHOUND_POLL_INTERVAL).toBe(30);
    expect(c.TRACEHOUND_INITIAL_LOOKBACK).toBe(3600);
    expect(c.TRACEHOUND_MIN_TRAINING_TRACES).toBe(500);
    expect(c.TRACEHOUND_WEBHOOK_ALLOW_PRIVATE).toBe(false);
  });

  it('names the variable and the value when one is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty', TRACEHOUND_JAEGER_API: 'v9' })).toThrow(
      /PORT: .*"eighty"[\s\S]*TRACEHOUND_JAEGER_API/,
    );
  });

  it('says in one line which setting is wrong and what it expected', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { TRACEHOUND_JAEGER_URL: 'localhost:16686' },
        /TRACEHOUND_JAEGER_URL: expected a URL starting with http:\/\//,
      ],
      [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL: expected a URL starting with redis:\/\/ or rediss:\/\//],
      [{ TRACEHOUND_RETRAIN_CRON: 'not a cron' }, /TRACEHOUND_RETRAIN_CRON: expected a cron expression/],
      [{ TRACEHOUND_API_KEYS: 'justakey' }, /TRACEHOUND_API_KEYS: entry 1: expected KEY:read or KEY:admin/],
      [{ TRACEHOUND_ZIPKIN_HEADERS: 'oops' }, /TRACEHOUND_ZIPKIN_HEADERS: expected "Name: value/],
    ];
    for (const [env, expected] of cases) {
      let message = '';
      try {
        loadConfig(env);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(expected);
      expect(message).not.toContain('\n');
    }
    // The key itself is not echoed into the log.
    expect(() => loadConfig({ TRACEHOUND_API_KEYS: 'justakey' })).not.toThrow(/justakey/);
    expect(loadConfig({ TRACEHOUND_RETRAIN_CRON: '*/5 * * * *' }).TRACEHOUND_RETRAIN_CRON).toBe(
      '*/5 * * * *',
    );
    expect(loadConfig({ TRACEHOUND_JAEGER_URL: 'https://jaeger:16686' }).TRACEHOUND_JAEGER_URL).toBe(
      'https://jaeger:16686',
    );
  });

  it('parses header lists and rejects malformed ones', () => {
    expect(parseHeaders('Authorization: Bearer x; X-Org: 7')).toEqual({
      Authorization: 'Bearer x',
      'X-Org': '7',
    });
    expect(() => parseHeaders('oops')).toThrow(/"oops" is not "Name: value"/);
  });
});
