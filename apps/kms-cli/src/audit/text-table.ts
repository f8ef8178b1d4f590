/**
 * Control characters (C0, DEL, C1) as `\uXXXX`: every cell stays on one line, and text that clients chose
 * (descriptions, access key ids) cannot send escape sequences to the operator's terminal.
 */
export const printable = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const safeRows = rows.map((row) => row.map(printable));
  const widths = header.map((title, column) => Math.max(title.length, ...safeRows.map((row) => row[column].length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ');
  return [line(header), ...safeRows.map(line)];
}
