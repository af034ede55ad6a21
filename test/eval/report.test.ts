import { describe, expect, it } from 'vitest';
import { curveSvg } from '../../src/eval/svg.js';
import { codeCell, markdownCell, markdownOutput, notebook, svgOutput } from '../../src/eval/notebook.js';
import { detectionTable } from '../../src/eval/markdown.js';

describe('report pieces', () => {
  it('draws a curve as a path inside the plot and escapes labels', () => {
    const svg = curveSvg(
      'a <b>',
      [
        {
          name: 'x & y',
          points: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
      ],
      { x: 'fpr', y: 'tpr' },
      { diagonal: true },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('a &lt;b&gt;');
    expect(svg).toContain('x &amp; y');
    // (0,0) maps to the plot's lower-left corner (left margin 50, bottom at 340 - 45).
    expect(svg).toMatch(/<path d="M50 295 L405 30"/);
  });

  it('writes nbformat 4 with the tslab kernel and saved outputs', () => {
    const nb = notebook([
      markdownCell('# t\n\ntext'),
      codeCell(1, 'a;\nb;', [markdownOutput('| a |\n| --- |'), svgOutput('<svg></svg>')]),
    ]) as {
      nbformat: number;
      metadata: { kernelspec: { name: string } };
      cells: { source: string[]; outputs?: { data: Record<string, string[]> }[] }[];
    };
    expect(nb.nbformat).toBe(4);
    expect(nb.metadata.kernelspec.name).toBe('tslab');
    expect(nb.cells[0].source).toEqual(['# t\n', '\n', 'text']);
    expect(nb.cells[1].source).toEqual(['a;\n', 'b;']);
    expect(nb.cells[1].outputs![0].data['text/markdown']).toEqual(['| a |\n', '| --- |']);
    expect(nb.cells[1].outputs![1].data['image/svg+xml']).toEqual(['<svg></svg>']);
  });

  it('says why detection metrics are missing', () => {
    expect(detectionTable(null)).toMatch(/one of the two classes is missing/);
  });
});
