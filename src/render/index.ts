/**
 * `--format FORMAT[:FILE]` (repeatable): each format goes to stdout or to its file. Text goes to
 * stdout when no other format does; problems always go to stderr as `memfix: file: what` lines.
 * Commands compute a report (./report.ts); this is where it is printed.
 */
import { resolve } from 'node:path';
import pc from 'picocolors';
import { MemfixError } from '../errors.ts';
import { writeFilesAtomically } from '../write.ts';
import type { Report } from './report.ts';
import { renderText } from './text.ts';
import { renderSarif } from './sarif.ts';
import { renderGithub } from './github.ts';
import { renderJunit } from './junit.ts';
import { renderCodeQuality } from './codequality.ts';

export const FORMATS = ['text', 'json', 'sarif', 'github', 'junit', 'codequality'] as const;
export type Format = (typeof FORMATS)[number];
export interface Target { format: Format; file?: string }

/** Parse --format values; a format the command cannot give, or two formats on stdout, is bad input. */
export function parseFormats(values: string[] | undefined, allowed: readonly Format[], command: string): Target[] {
  const targets: Target[] = (values ?? []).map((v) => {
    const at = v.indexOf(':');
    const format = (at < 0 ? v : v.slice(0, at)) as Format;
    const file = at < 0 ? undefined : v.slice(at + 1);
    if (!allowed.includes(format)) throw new MemfixError(`--format ${format}: ${command} gives ${allowed.join(', ')}`);
    if (file === '') throw new MemfixError(`--format ${v}: no file after the colon`);
    return { format, file };
  });
  if (targets.filter((t) => !t.file).length > 1) throw new MemfixError('--format: only one format can go to stdout; send the others to files (--format sarif:memfix.sarif)');
  if (!targets.some((t) => !t.file)) targets.unshift({ format: 'text' });
  return targets;
}

/** Formats that name files by their path from the repository's top need the report's prefix (one git call). */
export const needsTop = (targets: Target[]) => targets.some((t) => t.format !== 'text');

function render(r: Report, format: Format, top: string, colour: boolean): string {
  switch (format) {
    case 'text': return renderText(r, colour).stdout;
    case 'json': return JSON.stringify(r, null, 2) + '\n';
    case 'sarif':
      if (r.command === 'verify') throw new MemfixError('--format sarif: verify gives text, json, github, junit');
      return JSON.stringify(renderSarif(r, top), null, 2) + '\n';
    case 'github': return renderGithub(r);
    case 'junit': return renderJunit(r);
    case 'codequality': return JSON.stringify(renderCodeQuality(r), null, 2) + '\n';
  }
}

/** Print (and write) the report in every requested format. `top`: the repository's top, absolute. */
export function emit(r: Report, targets: Target[], top: string): void {
  const problems = renderText(r, false).stderr;
  if (problems) process.stderr.write(problems);
  const files = targets.filter((t) => t.file).map((t) => ({ path: resolve(t.file!), content: render(r, t.format, top, false), display: t.file! }));
  if (files.length) writeFilesAtomically(files);
  const std = targets.find((t) => !t.file);
  if (std) process.stdout.write(render(r, std.format, top, std.format === 'text' && pc.isColorSupported));
}
