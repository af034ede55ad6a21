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

  it('parses header lists and rejects malformed ones', () => {
    expect(parseHeaders('Authorization: Bearer x; X-Org: 7')).toEqual({
      Authorization: 'Bearer x',
      'X-Org': '7',
    });
    expect(() => parseHeaders('oops')).toThrow(/"oops" is not "Name: value"/);
  });
});
