/**
 * Templates: the C++ a fix inserts, kept as text files under templates/. They are written with a
 * 4-space indentation unit and LF; `render` fills `{{name}}` slots with names taken from the
 * matched code, converts the indentation to the file's unit, prefixes the base indentation and
 * uses the file's line ending. A slot's value is inserted as it is (it comes from the same file).
 */
import { readFileSync } from 'node:fs';
import { dataPath } from './paths.ts';
import { MemfixError } from './errors.ts';
import type { TextStyle } from './text.ts';

export const templatesDir = dataPath('templates') + '/';

const cache = new Map<string, string>();

export function loadTemplate(name: string): string {
  let t = cache.get(name);
  if (t === undefined) {
    try {
      t = readFileSync(templatesDir + name, 'utf8');
    } catch {
      throw new MemfixError(`template not found: templates/${name}`);
    }
    cache.set(name, t);
  }
  return t;
}

/** Fill `{{slot}}`s; a missing value is an error (a template must never emit a hole). */
export function fill(template: string, vars: Record<string, string>, name = 'template'): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new MemfixError(`${name}: no value for {{${k}}}`);
    return v;
  });
}

export interface Layout {
  style: Pick<TextStyle, 'eol' | 'indentUnit'>;
  /** indentation put before every non-empty line */
  base: string;
}

/** Re-indent template text (4-space unit, LF) to a file's layout, then fill its slots. */
export function render(template: string, vars: Record<string, string>, layout: Layout, name = 'template'): string {
  const lines = template.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const out = lines.map((line) => {
    if (line.trim() === '') return '';
    const ws = /^ */.exec(line)![0].length;
    const levels = Math.floor(ws / 4);
    return layout.base + layout.style.indentUnit.repeat(levels) + ' '.repeat(ws % 4) + line.slice(ws);
  });
  return fill(out.join(layout.style.eol), vars, name);
}

/** Render a named template file. */
export function renderFile(name: string, vars: Record<string, string>, layout: Layout): string {
  return render(loadTemplate(name), vars, layout, `templates/${name}`);
}
