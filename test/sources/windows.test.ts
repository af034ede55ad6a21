import { describe, expect, it } from 'vitest';
import type { SearchResult } from '../../src/sources/source.js';
import { readWindow } from '../../src/sources/windows.js';

const answer = (raw: number): SearchResult => ({ traces: [], raw, skipped: 0, warnings: [] });

describe('readWindow, answers handed on as they come', () => {
  it('asks for the next window while the previous answer is handed on, and hands them on in order', async () => {
    const asked: [number, number][] = [];
    const handed: number[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const read = readWindow(
      async (a, b) => {
        asked.push([a, b]);
        return answer(1);
      },
      0,
      299,
      {
        limit: 10,
        minWindowUs: 1,
        maxQueries: 10,
        chunkUs: 100,
        onAnswer: async () => {
          handed.push(asked.length);
          if (handed.length === 1) await gate;
        },
      },
    );
    await new Promise((r) => setTimeout(r, 5));
    // The first answer's hand-off is still running, and the second window has been asked for already.
    expect(asked).toEqual([
      [0, 99],
      [100, 199],
    ]);
    open();
    const r = await read;
    expect(asked).toEqual([
      [0, 99],
      [100, 199],
      [200, 299],
    ]);
    // Each hand-off began with the next window asked for already.
    expect(handed).toEqual([2, 3, 3]);
    expect(r).toMatchObject({ queries: 3, readToUs: 299, budgetExhausted: false });
  });

  it('stops where the last hand-off ended when a search asked ahead fails, or when the budget is used up', async () => {
    const failing = await readWindow(
      async (a) => {
        if (a === 100) throw new Error('down');
        return answer(1);
      },
      0,
      299,
      { limit: 10, minWindowUs: 1, maxQueries: 10, chunkUs: 100, onAnswer: async () => {} },
    );
    expect(failing.error).toBeInstanceOf(Error);
    expect(failing.readToUs).toBe(99);
    const budget = await readWindow(async () => answer(1), 0, 299, {
      limit: 10,
      minWindowUs: 1,
      maxQueries: 2,
      chunkUs: 100,
      onAnswer: async () => {},
    });
    expect(budget).toMatchObject({ queries: 2, readToUs: 199, budgetExhausted: true });
  });

  it('a hand-off that throws stops the read, and the search asked ahead fails quietly', async () => {
    await expect(
      readWindow(
        async (a) => {
          if (a === 100) throw new Error('down');
          return answer(1);
        },
        0,
        299,
        {
          limit: 10,
          minWindowUs: 1,
          maxQueries: 10,
          chunkUs: 100,
          onAnswer: async () => {
            throw new Error('queue full');
          },
        },
      ),
    ).rejects.toThrow('queue full');
  });
});
