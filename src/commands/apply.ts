/**
 * Interactive (or --yes) application. Fixes are offered in dependency order, each on the tree as
 * the accepted ones leave it; skipping a fix blocks the fixes that need it. Files are written
 * once, at the end, all or nothing.
 */
import { join } from 'node:path';
import pc from 'picocolors';
import { expand } from '@inquirer/prompts';
import { MemfixError } from '../errors.ts';
import { colourDiff, unified } from '../diff.ts';
import { isStuck, stepLine } from '../report.ts';
import { writeAllAtomically } from '../write.ts';
import type { Step } from '../engine.ts';
import { out, planDir, reportProblems } from './common.ts';

interface Options { yes?: boolean; dryRun?: boolean; fix?: string[] }

type Choice = 'apply' | 'skip' | 'whole' | 'all' | 'stop' | 'abort';

function showStep(step: Step, whole = false): void {
  const m = step.codemod.meta;
  out();
  out(pc.bold(`${m.id}: ${m.title}`) + (step.group ? pc.dim(`  [${step.group}]`) : ''));
  out(`  why:   ${m.why}`);
  out(`  files: ${step.changes.map((c) => c.path).join(', ')}`);
  for (const c of step.changes) out(colourDiff(unified(c.path, c.before, c.after, whole ? 1e6 : 3)));
}

export async function apply(dir: string, o: Options): Promise<void> {
  const interactive = !o.yes && !o.dryRun;
  if (interactive && !(process.stdin.isTTY && process.stdout.isTTY))
    throw new MemfixError('no terminal to ask on: pass --yes to apply every needed fix, or --dry-run to only print them');
  let mode: 'ask' | 'all' | 'stop' = interactive ? 'ask' : 'all';
  let aborted = false;
  const decide = async (step: Step): Promise<boolean> => {
    if (o.dryRun) { showStep(step); return true; }
    if (mode === 'stop') return false;
    if (mode === 'all') { if (!o.yes) showStep(step); return true; }
    showStep(step);
    for (;;) {
      const choice = await expand<Choice>({
        message: `Apply ${step.codemod.meta.id}?`,
        default: 'y',
        choices: [
          { key: 'y', name: 'apply this fix', value: 'apply' },
          { key: 'n', name: 'skip it (and the fixes that need it)', value: 'skip' },
          { key: 'd', name: 'show the whole-file diff', value: 'whole' },
          { key: 'a', name: 'apply this and all remaining fixes', value: 'all' },
          { key: 's', name: 'stop here, keep what was accepted', value: 'stop' },
          { key: 'q', name: 'abort, write nothing', value: 'abort' },
        ],
      });
      if (choice === 'whole') { showStep(step, true); continue; }
      if (choice === 'apply') return true;
      if (choice === 'all') { mode = 'all'; return true; }
      if (choice === 'skip') return false;
      if (choice === 'stop') { mode = 'stop'; return false; }
      aborted = true;
      mode = 'stop';
      return false;
    }
  };
  const { root, tree, steps, after, problems } = await planDir(dir, o.fix, decide);
  out();
  for (const s of steps) {
    out('  ' + stepLine(s) + (s.outcome.status === 'apply' ? (s.taken && !aborted ? pc.green(o.dryRun ? '  → would apply' : '  → applied') : pc.dim('  → skipped')) : ''));
  }
  if (reportProblems(problems)) return; // a file that looks like a target could not be read: write nothing
  if (aborted) { out('aborted: nothing written'); process.exitCode = 1; return; }
  const changed = [...after].filter(([p, t]) => tree.get(p) !== t);
  if (o.dryRun) { out(`dry run: ${changed.length} file(s) would change`); process.exitCode = changed.length ? 1 : 0; return; }
  writeAllAtomically(changed.map(([p, t]) => ({ path: join(root, p), content: t })));
  out(changed.length ? `wrote ${changed.length} file(s): ${changed.map(([p]) => p).join(', ')}` : 'nothing to change');
  // with --fix, only the chosen fixes count: a dependent left out is not a failure
  const stuck = steps.filter((s) => (!o.fix || o.fix.includes(s.codemod.meta.id)) && isStuck(s));
  process.exitCode = stuck.length ? 1 : 0;
}
