/** Text facts that edits must respect: line endings, indentation unit, BOM, index → line. */

export interface TextStyle {
  eol: '\n' | '\r\n';
  /** one level of indentation as the file writes it: a tab or N spaces */
  indentUnit: string;
  bom: boolean;
}

export function detectStyle(text: string): TextStyle {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/(?<!\r)\n/g) ?? []).length;
  return { eol: crlf > lf ? '\r\n' : '\n', indentUnit: detectIndentUnit(text), bom: text.charCodeAt(0) === 0xfeff };
}

/** The most common positive difference between the indentation of consecutive code lines. */
export function detectIndentUnit(text: string): string {
  const lines = text.split(/\r?\n/);
  let tabs = 0;
  let spaces = 0;
  const steps = new Map<number, number>();
  let prev = 0;
  let inComment = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (inComment) { if (trimmed.includes('*/')) inComment = false; continue; }
    if (trimmed.startsWith('/*') && !trimmed.includes('*/')) { inComment = true; }
    if (trimmed.startsWith('*') || trimmed.startsWith('#') || trimmed.startsWith('//')) continue;
    const ws = /^[ \t]*/.exec(line)![0];
    if (ws.startsWith('\t')) tabs++;
    else if (ws.length > 0) spaces++;
    const width = ws.startsWith('\t') ? ws.length * 100 : ws.length;
    const d = width - prev;
    if (d > 0 && d <= 8 && !ws.startsWith('\t')) steps.set(d, (steps.get(d) ?? 0) + 1);
    prev = width;
  }
  if (tabs > spaces) return '\t';
  let best = 4;
  let count = 0;
  for (const [d, n] of steps) if (n > count || (n === count && d < best)) { best = d; count = n; }
  return ' '.repeat(best);
}

/** 1-based line number of a string index. */
export function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Index of the first character of the line holding `index`. */
export function lineStart(text: string, index: number): number {
  return text.lastIndexOf('\n', index - 1) + 1;
}

/** The whitespace that begins the line holding `index`. */
export function indentAt(text: string, index: number): string {
  const s = lineStart(text, index);
  return /^[ \t]*/.exec(text.slice(s, s + 200))![0];
}
