/** Plain-text tables that fit a width: long cells wrap inside their column. */
import pc from 'picocolors';

export interface Table { header: string[]; rows: string[][] }

/** Split a cell into lines of at most `width` columns, on spaces where it can. */
export function wrapCell(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= 0) cut = width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) lines.push(rest);
  return lines;
}

/**
 * The table in at most `width` columns (100 by default; the widest columns give way first). With
 * `colour`, cells of `colourFrom` and later columns are green when they say `pass`, red otherwise;
 * the header is never coloured.
 */
export function formatTable(t: Table, opts: boolean | { colour?: boolean; width?: number; colourFrom?: number } = {}): string {
  const o = typeof opts === 'boolean' ? { colour: opts } : opts;
  const width = o.width ?? 100;
  const gap = 2;
  const natural = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const widths = [...natural];
  const total = () => widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  while (total() > width) {
    const widest = widths.indexOf(Math.max(...widths));
    const floor = Math.max(t.header[widest]!.length, 8);
    if (widths[widest]! <= floor) break;
    widths[widest] = Math.max(floor, widths[widest]! - (total() - width));
  }
  // colour the text only: the padding stays plain, so a line's trailing blanks can be trimmed
  const paint = (cell: string, text: string, w: number, i: number, isHeader: boolean) => {
    const pad = ' '.repeat(Math.max(0, w - text.length));
    if (!o.colour || isHeader || i < (o.colourFrom ?? 2) || !text) return text + pad;
    return (cell === 'pass' ? pc.green(text) : pc.red(text)) + pad;
  };
  const row = (r: string[], isHeader = false) => {
    const cells = widths.map((w, i) => wrapCell(r[i] ?? '', w));
    const height = Math.max(...cells.map((c) => c.length));
    const out: string[] = [];
    for (let k = 0; k < height; k++) {
      out.push(widths.map((w, i) => {
        const text = cells[i]![k] ?? '';
        return paint(r[i] ?? '', text, w, i, isHeader);
      }).join(' '.repeat(gap)).trimEnd());
    }
    return out.join('\n');
  };
  return [row(t.header, true), widths.map((w) => '-'.repeat(w)).join(' '.repeat(gap)), ...t.rows.map((r) => row(r))].join('\n');
}
