/** From a planned tree to the patch series: messages from codemod metadata, author and date. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dataPath } from '../paths.ts';
import { MemfixError } from '../errors.ts';
import { describeStatus, type Step } from '../engine.ts';
import { fill, loadTemplate } from '../template.ts';
import type { Identity, PatchSpec, SeriesOptions } from '../series.ts';

export const version = (JSON.parse(readFileSync(dataPath('package.json'), 'utf8')) as { version: string }).version;

const git = (dir: string, ...args: string[]) => {
  const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};

export function isGitWorkTree(dir: string): boolean {
  return git(dir, 'rev-parse', '--is-inside-work-tree') === 'true';
}

/** Paths in patches are relative to the repository's top (where git am runs), not to DIR. */
export function gitPrefix(dir: string): string {
  return isGitWorkTree(dir) ? git(dir, 'rev-parse', '--show-prefix') ?? '' : '';
}

export function parseIdentity(s: string): Identity {
  const m = /^\s*([^<]*?)\s*<([^>]+)>\s*$/.exec(s);
  if (!m || !m[1]) throw new MemfixError(`--author must look like "Name <email>", got "${s}"`);
  return { name: m[1], email: m[2]! };
}

export function authorFor(dir: string, opt?: string): Identity {
  if (opt) return parseIdentity(opt);
  const name = git(dir, 'config', 'user.name');
  const email = git(dir, 'config', 'user.email');
  if (name && email) return { name, email };
  return { name: 'memfix', email: 'memfix@localhost' };
}

/** --date, else SOURCE_DATE_EPOCH, else DIR's HEAD commit date, else the epoch: never "now". */
export function dateFor(dir: string, opt?: string): SeriesOptions['date'] {
  const fromText = (s: string, what: string) => {
    if (/^\d+$/.test(s.trim())) return { epochSeconds: Number(s.trim()), tzOffsetMinutes: 0 };
    const t = Date.parse(s);
    if (Number.isNaN(t)) throw new MemfixError(`${what}: not a date: "${s}"`);
    const tz = /([+-])(\d\d):?(\d\d)$/.exec(s.trim());
    return { epochSeconds: Math.floor(t / 1000), tzOffsetMinutes: tz ? (tz[1] === '-' ? -1 : 1) * (Number(tz[2]) * 60 + Number(tz[3])) : 0 };
  };
  if (opt) return fromText(opt, '--date');
  if (process.env.SOURCE_DATE_EPOCH) return fromText(process.env.SOURCE_DATE_EPOCH, 'SOURCE_DATE_EPOCH');
  const head = isGitWorkTree(dir) ? git(dir, 'log', '-1', '--format=%ct %ai') : null;
  if (head) {
    const [secs, , , tz] = head.split(' ');
    const m = /([+-])(\d\d)(\d\d)/.exec(tz ?? '+0000')!;
    return { epochSeconds: Number(secs), tzOffsetMinutes: (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) };
  }
  return { epochSeconds: 0, tzOffsetMinutes: 0 };
}

export function patchSpecs(steps: Step[], prefix: string): PatchSpec[] {
  return steps.filter((s) => s.taken).map((s) => {
    const m = s.codemod.meta;
    const at = s.outcome.status === 'apply' ? s.outcome.at.map((a) => `${prefix}${a.file}:${a.line}`).join(', ') : '';
    const body = fill(loadTemplate('commit-message.txt'), { why: wrap(m.why), what: wrap(m.what), analysis: m.analysis.fix === null ? `beyond the analysis, ${m.analysis.finding}` : `fix #${m.analysis.fix} (${m.analysis.issues.join('; ')})`, id: m.id, at }, 'templates/commit-message.txt').trimEnd();
    return {
      slug: m.id,
      subject: m.commit.subject,
      body: `${m.commit.body.trim().split(/\n\s*\n/).map((para) => wrap(para)).join('\n\n')}\n\n${body}`,
      changes: s.changes.map((c) => ({ path: prefix + c.path, before: c.before, after: c.after })),
    };
  });
}

export function coverBody(steps: Step[], verification: string): string {
  const others = steps.filter((s) => !s.taken);
  const outcomes = others.length
    ? 'Not in this series:\n' + others.map((s) => `  ${s.codemod.meta.id}: ${describeStatus(s.outcome)}`).join('\n') + '\n'
    : '';
  const crlf = steps.some((s) => s.taken && s.changes.some((c) => c.before.includes('\r\n')))
    ? '\nSome patched files use CRLF line endings: apply with `git am --keep-cr`.\n'
    : '';
  return fill(loadTemplate('cover-letter.txt'), { version, outcomes, verification, crlf }, 'templates/cover-letter.txt').replace(/\n{3,}/g, '\n\n').trimEnd();
}

/** Wrap a paragraph at 72 columns, as commit messages are. */
export function wrap(text: string, width = 72): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) { lines.push(line); line = w; }
    else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
