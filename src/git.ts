/**
 * What memfix asks git, one process per question: is DIR in a work tree (and where), HEAD and
 * its date, the author identity, what is uncommitted, HEAD's content of some files. A folder
 * that is not in a git work tree (or a machine without git) is no error: every query says so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Every git process memfix starts goes through here (tests count them with MEMFIX_TRACE_GIT). */
function git(dir: string, args: string[], input?: string): { ok: boolean; stdout: string } {
  if (process.env.MEMFIX_TRACE_GIT) process.stderr.write(`memfix: git ${args.join(' ')}\n`);
  const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
  return { ok: !r.error && r.status === 0, stdout: r.stdout ?? '' };
}

export interface WorkTree {
  /** absolute path of the work tree's top */
  top: string;
  /** DIR relative to the top, with a trailing slash ('' at the top): patches name paths from the top */
  prefix: string;
}

/** Whether a `.git` (folder, or file of a linked work tree) is in DIR or a folder above it. */
function gitAbove(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return true;
    if (dirname(d) === d) return false;
  }
}

/**
 * Where DIR sits in its git work tree, or null (not a work tree, no git). One git process, none
 * when no `.git` is in DIR or above it (and GIT_DIR does not name one elsewhere).
 */
export function workTree(dir: string): WorkTree | null {
  if (!process.env.GIT_DIR && !process.env.GIT_WORK_TREE && !gitAbove(dir)) return null;
  const r = git(dir, ['rev-parse', '--show-toplevel', '--show-prefix']);
  if (!r.ok) return null;
  const [top, prefix] = r.stdout.split('\n');
  return top ? { top, prefix: prefix ?? '' } : null;
}

export interface Head { sha: string; epochSeconds: number; tzOffsetMinutes: number }

/** HEAD's commit id and committer date, or null on an unborn branch. One git process. */
export function head(dir: string): Head | null {
  const r = git(dir, ['log', '-1', '--format=%H %ct %ci']);
  const m = /^([0-9a-f]{40,64}) (\d+) \S+ \S+ ([+-])(\d\d)(\d\d)$/.exec(r.stdout.trim());
  if (!r.ok || !m) return null;
  return { sha: m[1]!, epochSeconds: Number(m[2]), tzOffsetMinutes: (m[3] === '-' ? -1 : 1) * (Number(m[4]) * 60 + Number(m[5])) };
}

/** git's own author identity (config, GIT_AUTHOR_* variables), or null when git has none. One git process. */
export function authorIdent(dir: string): { name: string; email: string } | null {
  const r = git(dir, ['var', 'GIT_AUTHOR_IDENT']);
  const m = /^(.*?) <([^>]*)>/.exec(r.stdout);
  return r.ok && m && m[1] && m[2] ? { name: m[1], email: m[2] } : null;
}

/**
 * Paths under DIR (relative to the top) whose content differs from HEAD: modified, added,
 * deleted, renamed (both names) and untracked. One git process.
 */
export function uncommitted(dir: string): string[] {
  const r = git(dir, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--', '.']);
  if (!r.ok) return [];
  const paths: string[] = [];
  for (const rec of r.stdout.split('\0')) if (rec.length > 3) paths.push(rec.slice(3));
  return paths;
}

/** HEAD's content of these paths (relative to the top); absent from HEAD → null. One git process. */
export function headContents(dir: string, paths: string[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  if (!paths.length) return out;
  const r = spawnSync('git', ['-C', dir, 'cat-file', '--batch'], { input: paths.map((p) => `HEAD:${p}\n`).join(''), maxBuffer: 256 * 1024 * 1024 });
  if (process.env.MEMFIX_TRACE_GIT) process.stderr.write('memfix: git cat-file --batch\n');
  const buf = r.stdout ?? Buffer.alloc(0);
  let at = 0;
  for (const p of paths) {
    const nl = buf.indexOf(10, at);
    if (nl < 0) break;
    const header = buf.subarray(at, nl).toString('utf8');
    at = nl + 1;
    const m = /^[0-9a-f]+ blob (\d+)$/.exec(header);
    if (!m) { out.set(p, null); continue; } // "<name> missing"
    const size = Number(m[1]);
    out.set(p, buf.subarray(at, at + size).toString('utf8'));
    at += size + 1;
  }
  return out;
}
