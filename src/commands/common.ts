/** What the commands share: loading codemods, checking --fix ids, planning a folder, reporting problems. */
import { lstatSync, readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { MemfixError, ioError } from '../errors.ts';
import { loadCodemods } from '../registry.ts';
import { plan, type Plan, type PlanOptions, type Step } from '../engine.ts';
import { decode, folderSource, LINK_MESSAGE, type Problem, type Tree } from '../workspace.ts';
import { groupRoot, looksLikeHeader } from '../roles.ts';
import type { Codemod } from '../codemod.ts';
import { problemLine } from '../render/text.ts';

export async function codemodsFor(fix?: string[]): Promise<{ mods: Codemod[]; only?: Set<string> }> {
  const mods = await loadCodemods();
  if (!fix) return { mods };
  const known = new Set(mods.map((m) => m.meta.id));
  const unknown = fix.filter((f) => !known.has(f));
  if (unknown.length) throw new MemfixError(`unknown fix ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${[...known].join(', ')})`);
  return { mods, only: new Set(fix) };
}

export interface PlannedDir {
  /** the folder, absolute */
  root: string;
  steps: Step[];
  /** the files that could be targets (they passed a role's token test), as read */
  readonly tree: Tree;
  /** the same files after the taken fixes */
  readonly after: Tree;
  mods: Codemod[];
  /** files that look like targets but cannot be read or parsed as one, or the folder ('') when it holds no target; paths relative to root */
  problems: Problem[];
  /** syntax errors outside the code the fixes read or write (src/flaws.ts) */
  warnings: Problem[];
}

/** A tree in which no codemod finds its target: most likely a mistyped path. */
export const NO_TARGET = 'no target found: no memory_disk_io header (a class deriving from disk_interface and buffer_allocator_interface) and no SWIG interface file of it in this tree';

/**
 * Plan a folder: each file is read once, and parsed only when it could be a target. `tree` and
 * `after` are built when first read (a scan never needs them).
 */
export async function planDir(dir: string, fix?: string[], decide?: PlanOptions['decide']): Promise<PlannedDir> {
  const root = resolve(dir);
  const files = folderSource(root);
  const { mods, only } = await codemodsFor(fix);
  const planned = await plan(files, mods, { only, decide });
  // a link with a target's name leading out of the tree (never read), in a group that misses a target it could be: refused
  const missing = new Set(planned.steps.filter((s) => s.outcome.status === 'missing').map((s) => s.group));
  const links = (files.outwardLinks ?? []).filter((l) => missing.has(groupRoot(l))).map((l) => ({ file: l, message: `${LINK_MESSAGE} (it leads out of the tree, or nowhere: not read)` }));
  const problems = planProblems(root, planned, links);
  return {
    root,
    steps: planned.steps,
    mods,
    problems,
    warnings: planned.warnings,
    get tree() { return planned.original; },
    get after() { return planned.tree; },
  };
}

/**
 * A plan's problems, and the tree's: no target at all is bad input too (a mistyped folder must
 * not pass CI), unless a file that looked like one was reported already; so is a group whose
 * header is not there to be fixed.
 */
export function planProblems(root: string, planned: Plan, links: Problem[] = []): Problem[] {
  const found = [...planned.problems, ...links];
  if (!planned.found && !found.length) return [{ file: '', message: NO_TARGET }];
  if (found.length) return found;
  return headerlessGroups(root, planned.steps, planned.original);
}

/**
 * Groups of SWIG interface files whose header is not there to be fixed (every fix needs it), in
 * a tree where no fix finds anything else: a header that is empty, cut short, not text, a folder
 * or unreadable is bad input, for every command. The header is named when a SWIG file includes it (`#include "memory_disk_io.hpp"`).
 */
export function headerlessGroups(root: string, steps: readonly Step[], original: Tree): Problem[] {
  // only when no fix finds anything anywhere: SWIG files beside a tree's real target are left alone
  if (!steps.every((s) => s.outcome.status === 'missing')) return [];
  const groups = new Set(steps.map((s) => s.group));
  const out: Problem[] = [];
  for (const g of groups) {
    const swig = [...original.keys()].filter((p) => /\.(i|swg)$/i.test(p) && (g ? p.startsWith(g + '/') : true));
    let named: Problem | undefined;
    for (const p of swig) {
      for (const m of original.get(p)!.matchAll(/#\s*include\s*"([^"]+\.(?:h|hh|hpp|hxx|h\+\+))"/g)) {
        for (const cand of [posix.join(posix.dirname(p), m[1]!), posix.join(g, m[1]!)]) {
          if (cand.startsWith('../') || posix.isAbsolute(cand)) continue;
          const why = headerState(join(root, cand));
          if (why) { named = { file: cand, message: `${p} includes it as the disk I/O header, but it ${why}` }; break; }
        }
        if (named) break;
      }
      if (named) break;
    }
    out.push(named ?? { file: g, message: 'no target found: SWIG interface files, but no readable memory_disk_io header (a class deriving from disk_interface and buffer_allocator_interface) beside them' });
  }
  return out;
}

/** Why a file that should be the header is not one, or null when there is no such file. */
function headerState(abs: string): string | null {
  let st;
  try { st = lstatSync(abs); } catch { return null; }
  if (st.isDirectory()) return 'is a directory';
  if (!st.isFile()) return 'is not a regular file';
  let buf: Buffer;
  try { buf = readFileSync(abs); } catch (e) { return `cannot be read: ${ioError(e).message}`; }
  if (!buf.length) return 'is empty';
  const d = decode(buf);
  if (!('text' in d)) return `${d.message} (line ${d.line})`;
  return looksLikeHeader(d.text) ? 'cannot be parsed as that class' : 'holds no class deriving from disk_interface and buffer_allocator_interface';
}

/**
 * Print each problem as `memfix: file[:line]: message` on stderr and make the exit code 2 (bad
 * input). Returns whether there were any. Call it after the command has set its own exit code.
 */
export function reportProblems(dir: string, problems: readonly Problem[], warnings: readonly Problem[] = []): boolean {
  for (const p of problems) process.stderr.write(problemLine(dir, p) + '\n');
  for (const p of warnings) process.stderr.write(problemLine(dir, p, true) + '\n');
  if (problems.length) process.exitCode = 2;
  return problems.length > 0;
}

export const out = (s = '') => process.stdout.write(s + '\n');
