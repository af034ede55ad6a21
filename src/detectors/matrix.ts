/**
 * A dense row-major matrix of float64 values: the one input shape every numeric detector takes.
 * Keeping the data flat avoids one allocation per row and keeps training loops cache-friendly.
 */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Anything a detector accepts as rows: a Matrix, or an array of equal-length rows. */
export type RowsInput = Matrix | ArrayLike<number>[];

export function isMatrix(x: unknown): x is Matrix {
  return (
    typeof x === 'object' &&
    x !== null &&
    (x as Matrix).data instanceof Float64Array &&
    Number.isInteger((x as Matrix).rows) &&
    Number.isInteger((x as Matrix).cols)
  );
}

/** Copies rows into one flat matrix; every row must have the same length as the first. */
export function matrixFromRows(rows: ArrayLike<number>[], cols?: number): Matrix {
  const width = cols ?? (rows.length > 0 ? rows[0].length : 0);
  const data = new Float64Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row.length !== width) {
      throw new Error(`matrix: row ${r} has ${row.length} values, expected ${width}`);
    }
    for (let c = 0; c < width; c++) data[r * width + c] = row[c];
  }
  return { data, rows: rows.length, cols: width };
}

export function toMatrix(input: RowsInput, cols?: number): Matrix {
  if (isMatrix(input)) {
    if (cols !== undefined && input.cols !== cols) {
      throw new Error(`matrix: expected ${cols} columns, got ${input.cols}`);
    }
    return input;
  }
  return matrixFromRows(input, cols);
}

/** Throws on the first NaN or infinite value, naming its row and column: training on them silently corrupts a model. */
export function assertFinite(m: Matrix, what: string): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new Error(
        `${what}: value at row ${Math.floor(i / cols)}, column ${i % cols} is ${data[i]} (must be finite)`,
      );
    }
  }
}
