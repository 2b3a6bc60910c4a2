/**
 * What memfix asks git, one process per question: is DIR in a work tree (and where), HEAD and
 * its date, the author identity, what is uncommitted, HEAD's content of some files. A folder
 * that is not in a git work tree (or a machine without git) is no error: every query says so.
 *
 * Questions only: git never writes. Every process runs with `--no-optional-locks`, so `git
 * status` does not refresh (rewrite) `.git/index`. And git is asked about DIR, the folder memfix
 * was given, whatever the environment says: the variables that tie git to one repository
 * (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE ..., as a git hook sets them) are taken out of git's
 * environment, as git itself does when it runs in another repository (a submodule's).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * git's own list of the variables that tie it to one repository (`git rev-parse
 * --local-env-vars`), which it clears before working in another one.
 */
export const REPO_ENV_VARS = [
  'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_CONFIG', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT',
  'GIT_OBJECT_DIRECTORY', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_IMPLICIT_WORK_TREE', 'GIT_GRAFT_FILE',
  'GIT_INDEX_FILE', 'GIT_NO_REPLACE_OBJECTS', 'GIT_REPLACE_REF_BASE', 'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX', 'GIT_SHALLOW_FILE', 'GIT_COMMON_DIR',
];

/** The environment of every git process: memfix's own, without REPO_ENV_VARS (and GIT_CONFIG_COUNT's KEY_n/VALUE_n), optional locks off. */
export function gitEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, GIT_OPTIONAL_LOCKS: '0' };
  for (const k of REPO_ENV_VARS) delete out[k];
  for (const k of Object.keys(out)) if (/^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(k)) delete out[k];
  return out;
}

/** Every git process memfix starts goes through here. */
function gitRaw(dir: string, args: string[], input?: string): { ok: boolean; stdout: Buffer } {
  const r = spawnSync('git', ['--no-optional-locks', '-C', dir, ...args], { env: gitEnv(), input, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
  return { ok: !r.error && r.status === 0, stdout: r.stdout ?? Buffer.alloc(0) };
}

function git(dir: string, args: string[], input?: string): { ok: boolean; stdout: string } {
  const r = gitRaw(dir, args, input);
  return { ok: r.ok, stdout: r.stdout.toString('utf8') };
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
 * when no `.git` is in DIR or above it (GIT_DIR does not count: see above).
 */
export function workTree(dir: string): WorkTree | null {
  if (!gitAbove(dir)) return null;
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
  const buf = gitRaw(dir, ['cat-file', '--batch'], paths.map((p) => `HEAD:${p}\n`).join('')).stdout;
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
