import { describe, expect, it } from 'vitest';
import { UnrecoverableError, type Job } from 'bullmq';
import { PollPayload, ScorePayload, jobIds, payloadOf } from '../../src/jobs/queues.js';

const job = (name: string, data: unknown) => ({ name, id: '42', data }) as unknown as Job;

describe('job payloads', () => {
  it('are checked at the worker, a bad one failing at once and saying which field', () => {
    expect(payloadOf(ScorePayload, 'score', job('score', { source: 'jaeger', traces: ['{}'] }))).toEqual({
      source: 'jaeger',
      traces: ['{}'],
    });
    // Packed traces as objects, and jobs queued before (their JSON as strings) alike.
    const packed = { t: 'ab', s: [], r: [] };
    expect(payloadOf(ScorePayload, 'score', job('score', { traces: [packed, '{}'] })).traces).toEqual([
      packed,
      '{}',
    ]);
    expect(() => payloadOf(ScorePayload, 'score', job('score', { traces: [{ t: 'ab' }] }))).toThrow(
      /traces\.0: /,
    );
    const bad = () => payloadOf(ScorePayload, 'score', job('score', { source: 'jaeger', traces: [1] }));
    expect(bad).toThrow(UnrecoverableError);
    expect(bad).toThrow(/^score\/score job 42: bad payload: traces\.0: /);
    expect(() => payloadOf(PollPayload, 'poll', job('poll', { source: 'zipkin' }))).toThrow(
      /^poll\/poll job 42: bad payload: service: /,
    );
  });

  it('have ids that make the same work one job', () => {
    expect(jobIds.score(['a', 'b'])).toBe(jobIds.score(['a', 'b']));
    expect(jobIds.score(['a', 'b'])).not.toBe(jobIds.score(['b', 'a']));
    expect(jobIds.poll('jaeger', 'cart', 7)).not.toBe(jobIds.poll('jaeger', 'cart', 8));
    // BullMQ refuses ':' in custom ids.
    expect(jobIds.coldTrain('cart:GetCart')).toMatch(/^[0-9a-f]{40}$/);
  });
});
