/**
 * Helpers for the end-to-end tests (test/e2e.test.ts, test/cli.test.ts): run memfix and other
 * tools as subprocesses, make throw-away copies of the fixtures, compare trees byte for byte.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { loadCodemodInfo } from '../src/registry.ts';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const BIN = join(REPO, 'bin', 'memfix.js');
export const SAMPLE = join(REPO, 'fixtures', 'sample');
export const EARLY = join(REPO, 'fixtures', 'shapes', 'early');
export const HEAD = join(REPO, 'fixtures', 'shapes', 'head');
/** Where the sample keeps the three target files. */
export const LTGO = 'upgrade_2.0.x/libtorrent-go';
export const HEADER = `${LTGO}/memory_disk_io.hpp`;
export const DISK_I = `${LTGO}/interfaces/disk_interface.i`;
export const SESSION_I = `${LTGO}/interfaces/session.i`;
/** Every fix, in series order, from the registry (a new codemod joins the end-to-end tests by itself). */
export const IDS: readonly string[] = loadCodemodInfo().map((c) => c.meta.id);

/** Fixed identity and dates for git, and no user or system git config. */
export const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'Fixture Author',
  GIT_AUTHOR_EMAIL: 'fixture@example.com',
  GIT_AUTHOR_DATE: '2025-06-01T12:00:00Z',
  GIT_COMMITTER_NAME: 'Fixture Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
  GIT_COMMITTER_DATE: '2025-06-01T12:00:00Z',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...GIT_ENV, NO_COLOR: '1', ...extra };
  delete env.FORCE_COLOR;
  delete env.SOURCE_DATE_EPOCH;
  return env;
}

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Run a program; never throws on a non-zero exit. stdin is /dev/null unless `input` is given. */
export function run(cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? baseEnv(), stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    if (o.input !== undefined) child.stdin!.end(o.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 240_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolvePromise({ code, signal, stdout, stderr }); });
  });
}

/** `node bin/memfix.js ...args` with NO_COLOR=1, stdin not a terminal. */
export function memfix(args: string[], o: { cwd?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], { cwd: o.cwd, env: baseEnv(o.env) });
}

export const show = (r: RunResult) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** A temporary root folder for one test file; `cleanup()` removes it. */
export function tempRoot(prefix: string): { root: string; dir: (name: string) => string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return {
    root,
    dir: (name: string) => { const d = join(root, name); mkdirSync(d, { recursive: true }); return d; },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function copyTree(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

/** git init + one commit of everything, with fixed identity and date. Returns HEAD's sha. */
export async function gitInit(dir: string): Promise<string> {
  const git = async (...a: string[]) => {
    const r = await run('git', ['-c', 'init.defaultBranch=main', ...a], { cwd: dir });
    assert.equal(r.code, 0, `git ${a.join(' ')}\n${show(r)}`);
    return r.stdout.trim();
  };
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'fixture');
  return git('rev-parse', 'HEAD');
}

/** Every file under dir (relative POSIX path -> bytes), skipping the named top-level folders. */
export function snapshot(dir: string, skip: string[] = ['.git', '.pc']): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = relative(dir, p).split(sep).join('/');
      if (e.isDirectory()) { if (!skip.includes(rel)) walk(p); continue; }
      files.set(rel, readFileSync(p));
    }
  };
  walk(dir);
  return files;
}

/** Two trees hold the same files with the same bytes; the message names the first difference. */
export function assertSameTree(actual: Map<string, Buffer>, expected: Map<string, Buffer>, what: string): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${what}: different file lists`);
  for (const [p, b] of expected) {
    const a = actual.get(p)!;
    if (!a.equals(b)) {
      const al = a.toString('utf8').split('\n');
      const bl = b.toString('utf8').split('\n');
      let i = 0;
      while (i < al.length && al[i] === bl[i]) i++;
      assert.fail(`${what}: ${p} differs (first at line ${i + 1}: got ${JSON.stringify(al[i])}, expected ${JSON.stringify(bl[i])})`);
    }
  }
}

/** memfix's error contract: exactly one line on stderr, `memfix: ...`, no stack trace. */
export function assertOneLineError(r: RunResult, what: string): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `${what}: expected one line on stderr\n${show(r)}`);
  assert.match(lines[0]!, /^memfix: \S/, `${what}: stderr must start with "memfix: "\n${show(r)}`);
  assert.doesNotMatch(r.stderr + r.stdout, /^\s+at \S/m, `${what}: stack trace printed\n${show(r)}`);
  assert.doesNotMatch(lines[0]!, /internal error/, `${what}: an internal error, not a user error\n${show(r)}`);
  return lines[0]!;
}

/** Step lines of scan/apply/check output: `status id ...`. */
export function stepLines(stdout: string): { status: string; id: string; line: string }[] {
  const out: { status: string; id: string; line: string }[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s+(apply|applied|drift|missing|blocked)\s+([a-z][a-z0-9-]*)\s/.exec(line);
    if (m) out.push({ status: m[1]!, id: m[2]!, line });
  }
  return out;
}

/** The status of each fix of IDS in the step lines (other codemods are ignored). */
export function statusById(stdout: string): Record<string, string[]> {
  const res: Record<string, string[]> = {};
  for (const s of stepLines(stdout)) if (IDS.includes(s.id)) (res[s.id] ??= []).push(s.status);
  return res;
}

/** A tiny semaphore, to keep heavy subprocesses (g++) to `n` at a time. */
export function limiter(n: number): <T>(f: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(f: () => Promise<T>) => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try { return await f(); } finally { active--; queue.shift()?.(); }
  };
}
