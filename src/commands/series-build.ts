/**
 * From a planned tree to the patch series: commit messages from codemod metadata (each fact once,
 * lines of at most 72 columns), the cover letter, author and date.
 */
import { MemfixError } from '../errors.ts';
import { describeStatus, type Step } from '../engine.ts';
import type { Meta } from '../codemod.ts';
import { fill, loadTemplate } from '../template.ts';
import { authorIdent, type Head } from '../git.ts';
import type { Identity, PatchSpec, SeriesOptions } from '../series.ts';
import { version } from '../version.ts';

export { version };

/** Commit messages and the cover letter wrap at this width, as git's own do. */
export const WIDTH = 72;

export function parseIdentity(s: string): Identity {
  const m = /^\s*([^<]*?)\s*<([^>]+)>\s*$/.exec(s);
  if (!m || !m[1]) throw new MemfixError(`--author must look like "Name <email>", got "${s}"`);
  return { name: m[1], email: m[2]! };
}

/** --author, else git's own identity for DIR (config, GIT_AUTHOR_*), else a placeholder. */
export function authorFor(dir: string, opt: string | undefined, inGit: boolean): Identity {
  if (opt) return parseIdentity(opt);
  return (inGit ? authorIdent(dir) : null) ?? { name: 'memfix', email: 'memfix@localhost' };
}

/** --date, else SOURCE_DATE_EPOCH, else HEAD's commit date, else the epoch: never "now". */
export function dateFor(opt: string | undefined, headCommit: Head | null): SeriesOptions['date'] {
  const fromText = (s: string, what: string) => {
    if (/^\d+$/.test(s.trim())) return { epochSeconds: Number(s.trim()), tzOffsetMinutes: 0 };
    const t = Date.parse(s);
    if (Number.isNaN(t)) throw new MemfixError(`${what}: not a date: "${s}"`);
    const tz = /([+-])(\d\d):?(\d\d)$/.exec(s.trim());
    return { epochSeconds: Math.floor(t / 1000), tzOffsetMinutes: tz ? (tz[1] === '-' ? -1 : 1) * (Number(tz[2]) * 60 + Number(tz[3])) : 0 };
  };
  if (opt) return fromText(opt, '--date');
  if (process.env.SOURCE_DATE_EPOCH) return fromText(process.env.SOURCE_DATE_EPOCH, 'SOURCE_DATE_EPOCH');
  if (headCommit) return { epochSeconds: headCommit.epochSeconds, tzOffsetMinutes: headCommit.tzOffsetMinutes };
  return { epochSeconds: 0, tzOffsetMinutes: 0 };
}

/** "#3 the global pointer outlives its object" → "issue 3 (the global pointer outlives its object)". */
function issueRef(issue: string): string {
  const m = /^#(\d+)[\s:.-]*(.*)$/.exec(issue.trim());
  if (!m) return unhash(issue.trim());
  return m[2] ? `analysis issue ${m[1]} (${unhash(m[2])})` : `analysis issue ${m[1]}`;
}

/** No bare "#N" in a message: GitHub would link it to an unrelated issue of the repository. */
export function unhash(text: string): string {
  return text.replace(/(^|[^\w&])#(\d+)\b/g, '$1$2');
}

function joinAnd(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** Where the fix comes from: the analysis' fix and issues, or the finding of a fix beyond it. */
export function analysisSentence(a: Meta['analysis']): string {
  const issues = joinAnd(a.issues.map(issueRef));
  if (a.fix === null) {
    const finding = unhash(a.finding.trim().replace(/\.$/, ''));
    return `This fix goes beyond the memory-safety analysis: ${finding}.${issues ? ` It also bears on ${issues}.` : ''}`;
  }
  return `This is analysis fix ${a.fix}${issues ? `; it addresses ${issues}` : ''}.`;
}

/** The message body of one patch: the codemod's commit text, its notes for this tree, where it comes from. */
export function commitBody(step: Step, prefix: string, tree: ReadonlySet<string>): string {
  const m = step.codemod.meta;
  const paras = m.commit.body.trim().split(/\n\s*\n/).map((p) => wrap(unhash(p)));
  const notes = step.outcome.status === 'apply' ? step.outcome.notes : [];
  // notes name places in DIR ("path:line"); the patch names files from the repository's top
  const fromTop = (n: string) => n.replace(/([\w./+-]+):(\d+)/g, (all, file: string, line: string) => (tree.has(file) ? `${prefix}${file}:${line}` : all));
  const notesText = notes.length ? ['Notes on this tree:', ...notes.map((n) => bullet(unhash(fromTop(n))))].join('\n') : '';
  return fill(loadTemplate('commit-message.txt'), {
    body: paras.join('\n\n'),
    notes: notesText,
    analysis: wrap(analysisSentence(m.analysis)),
    id: m.id,
  }, 'templates/commit-message.txt').replace(/\n{3,}/g, '\n\n').trim();
}

export function patchSpecs(steps: Step[], prefix: string, tree: ReadonlySet<string>): PatchSpec[] {
  return steps.filter((s) => s.taken).map((s) => ({
    slug: s.codemod.meta.id,
    subject: s.codemod.meta.commit.subject,
    body: commitBody(s, prefix, tree),
    changes: s.changes.map((c) => ({ path: prefix + c.path, before: c.before, after: c.after })),
  }));
}

/** The files of a series are CRLF when any file a patch changes is: `git am` then needs --keep-cr. */
export function needsKeepCr(steps: Step[]): boolean {
  return steps.some((s) => s.taken && s.changes.some((c) => c.before.includes('\r\n')));
}

/** The `git am` command for these patch files, wrapped as a shell line continues. */
export function gitAmCommand(names: string[], keepCr: boolean, indent = '  '): string {
  const words = ['git', 'am', ...(keepCr ? ['--keep-cr'] : []), ...names];
  const lines: string[] = [];
  let line = indent;
  for (const w of words) {
    const next = line.trim() ? `${line} ${w}` : `${line}${w}`;
    if (line.trim() && next.length + 2 > WIDTH) { lines.push(`${line} \\`); line = `${indent}  ${w}`; }
    else line = next;
  }
  lines.push(line);
  return lines.join('\n');
}

export function coverBody(steps: Step[], patchNames: string[], verification: string): string {
  const others = steps.filter((s) => !s.taken);
  const outcomes = others.length
    ? 'Not in this series:\n' + others.map((s) => bullet(unhash(`${s.codemod.meta.id}: ${describeStatus(s.outcome)}`))).join('\n')
    : '';
  const keepCr = needsKeepCr(steps);
  const apply = gitAmCommand(patchNames, keepCr) + (keepCr ? '\n\n' + wrap('Some patched files use CRLF line endings: --keep-cr keeps git am from stripping them.') : '');
  return fill(loadTemplate('cover-letter.txt'), { version, apply, outcomes, verification }, 'templates/cover-letter.txt').replace(/\n{3,}/g, '\n\n').trimEnd();
}

/** Wrap a paragraph at 72 columns, as commit messages are. */
export function wrap(text: string, width = WIDTH, indent = ''): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && indent.length + line.length + 1 + w.length > width) { lines.push(line); line = w; }
    else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

/** "- text", wrapped with a hanging indent. */
export function bullet(text: string, width = WIDTH): string {
  return '- ' + wrap(text, width, '  ').slice(2);
}
