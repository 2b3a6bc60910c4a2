/**
 * Interactive (or --yes) application. Fixes are offered in dependency order, each on the tree as
 * the accepted ones leave it; skipping a fix blocks the fixes that need it. A fix that would write
 * a file where a selected fix drifts is not offered (src/engine.ts heldBack). The tree is locked
 * for the whole run, and the accepted fixes are written at the end as one transaction
 * (src/transaction.ts): every file or none, even if the run is killed. Nothing is reported as
 * applied before it is written.
 */
import { spawnSync } from 'node:child_process';
import pc from 'picocolors';
import { MemfixError } from '../errors.ts';
import { colourDiff, unified } from '../diff.ts';
import { isStuck, stepLine } from '../steps.ts';
import { wrapped } from '../render/text.ts';
import { lineWidth } from '../render/width.ts';
import { commitChanges, lockTree, notePendingJournal, pendingJournal, recover, type Lock } from '../transaction.ts';
import { dependencyNote, dependentsOf, withDependencies } from '../select.ts';
import { heldBack, stepKey, type Step } from '../engine.ts';
import { out, planDir, reportProblems } from './common.ts';
import { resolve } from 'node:path';
import { checkDir } from '../workspace.ts';

interface Options { yes?: boolean; dryRun?: boolean; fix?: string[] }

type Choice = 'apply' | 'skip' | 'whole' | 'all' | 'stop' | 'abort';

function titleLines(title: string, group: string): string[] {
  const width = lineWidth();
  const lines = wrapped(title, '  ', width).map((l) => pc.bold(l));
  if (!group) return lines;
  if (lines.length === 1 && title.length + 2 + group.length <= width) return [lines[0] + pc.dim(`  ${group}`)];
  return [...lines, pc.dim(`  ${group}`)];
}

function stepText(step: Step, whole = false): string {
  const m = step.codemod.meta;
  return [
    '',
    // the title, and its group beside it when the line has room (else on a line of its own)
    ...titleLines(`${m.id}: ${m.title}`, step.group ? `[${step.group}]` : ''),
    ...wrapped(`  why:   ${m.why}`, ' '.repeat(9)),
    ...wrapped(`  files: ${step.changes.map((c) => c.path).join(', ')}`, ' '.repeat(9)),
    ...step.changes.map((c) => colourDiff(unified(c.path, c.before, c.after, whole ? 1e6 : 3))),
  ].join('\n');
}

/** Long text through the user's pager, as git does: $PAGER, else `less -R` (LESS=FRX unless set). */
function page(text: string): void {
  const pager = process.env.PAGER ?? 'less -R';
  if (!process.stdout.isTTY || pager === '' || pager === 'cat') { out(text); return; }
  const r = spawnSync(pager, { shell: true, input: text + '\n', stdio: ['pipe', 'inherit', 'inherit'], env: { LESS: 'FRX', LV: '-c', ...process.env } });
  if (r.error) out(text); // no such pager: print it
}

export async function apply(dir: string, o: Options): Promise<void> {
  const interactive = !o.yes && !o.dryRun;
  if (interactive && !(process.stdin.isTTY && process.stdout.isTTY))
    throw new MemfixError('no terminal to ask on: pass --yes to apply every needed fix, or --dry-run to only print them');
  const { fix, added } = withDependencies(o.fix);
  if (added.length) process.stderr.write(`memfix: ${dependencyNote(o.fix!, added)}\n`);

  const root = resolve(dir);
  checkDir(dir); // before the lock: apply creates nothing but DIR/.memfix, and only in a DIR that exists
  let lock: Lock | undefined;
  if (o.dryRun) {
    notePendingJournal(root, dir, false);
  } else {
    lock = await lockTree(root, dir);
    if (pendingJournal(root)) {
      // the journal is untrusted: it may name only files memfix would write, which a plan of the tree says
      const writable = new Set((await planDir(dir)).tree.keys());
      const recovered = recover(root, dir, writable);
      if (recovered) process.stderr.write(`memfix: ${dir}: ${recovered}\n`);
    }
  }
  try {
    await applyLocked(dir, o, fix, interactive);
  } finally {
    lock?.release();
  }
}

async function applyLocked(dir: string, o: Options, fix: string[] | undefined, interactive: boolean): Promise<void> {
  // the prompt library is loaded only when there is a question to ask
  const ask = interactive ? (await import('../prompt.ts')).askKey : undefined;
  let mode: 'ask' | 'all' | 'stop' = interactive ? 'ask' : 'all';
  let aborted = false;
  const decide = async (step: Step): Promise<boolean> => {
    if (o.dryRun) { out(stepText(step)); return true; }
    if (mode === 'stop') return false;
    if (mode === 'all') { if (!o.yes) out(stepText(step)); return true; }
    out(stepText(step));
    for (;;) {
      const choice = await ask!<Choice>({
        message: `Apply ${step.codemod.meta.id}?`,
        choices: [
          { key: 'y', name: 'apply this fix', value: 'apply' },
          { key: 'n', name: 'skip it (and the fixes that need it)', value: 'skip' },
          { key: 'd', name: 'show the whole-file diff', value: 'whole' },
          { key: 'a', name: 'apply this and all remaining fixes', value: 'all' },
          { key: 's', name: 'stop here, keep what was accepted', value: 'stop' },
          { key: 'q', name: 'abort, write nothing', value: 'abort' },
        ],
      });
      if (choice === 'whole') { page(stepText(step, true)); continue; }
      if (choice === 'apply') return true;
      if (choice === 'all') { mode = 'all'; return true; }
      if (choice === 'skip') {
        // say at once what skipping it blocks, not only in the summary
        const blocked = dependentsOf(step.codemod.meta.id).filter((d) => !fix || fix.includes(d));
        if (blocked.length) out(pc.magenta(`skipped ${step.codemod.meta.id}: ${blocked.join(', ')} ${blocked.length === 1 ? 'needs' : 'need'} it and ${blocked.length === 1 ? 'is' : 'are'} blocked`));
        return false;
      }
      if (choice === 'stop') { mode = 'stop'; return false; }
      aborted = true;
      mode = 'stop';
      return false;
    }
  };
  // a file where a selected fix drifts is written by no fix (heldBack, src/engine.ts): plan, hold
  // back the fixes that would write such a file, plan again (what needs them is blocked then),
  // until nothing more is held; then the run that asks, about the others only
  const held = new Map<string, string>();
  /** the drifts of the first plan: a fix blocked once another is held back still says its own */
  const drifts = new Map<string, string>();
  for (let more = true; more;) {
    more = false;
    const trial = await planDir(dir, fix, (s) => !held.has(stepKey(s)));
    if (!drifts.size) for (const s of trial.steps) if (s.outcome.status === 'drift') drifts.set(stepKey(s), `${s.outcome.at.file}:${s.outcome.at.line}`);
    for (const [k, why] of heldBack(trial.steps, fix && new Set(fix))) if (!held.has(k)) { held.set(k, why); more = true; }
  }
  const { root, tree, steps, after, problems, warnings } = await planDir(dir, fix, (s) => !held.has(stepKey(s)) && decide(s));
  if (reportProblems(dir, problems, warnings)) return; // a file that looks like a target cannot be read: write nothing
  const changed = [...after].filter(([p, t]) => tree.get(p) !== t);
  const verdict = (s: Step) => {
    if (s.outcome.status === 'blocked' && drifts.has(stepKey(s))) return pc.dim(`  (its own target drifts too: ${drifts.get(stepKey(s))})`);
    if (s.outcome.status !== 'apply') return '';
    if (held.has(stepKey(s))) return pc.dim(`  → not written: ${held.get(stepKey(s))}, and no fix writes a file where one drifts`);
    if (!s.taken || aborted) return pc.dim('  → skipped');
    return pc.green(o.dryRun ? '  → would apply' : '  → applied');
  };
  // with --fix, only the chosen fixes (and what they need) count: a dependent left out is not a failure
  const stuck = steps.filter((s) => (!fix || fix.includes(s.codemod.meta.id)) && isStuck(s));
  if (aborted) {
    out();
    for (const s of steps) out('  ' + stepLine(s) + verdict(s));
    out('aborted: nothing written');
    process.exitCode = 1;
    return;
  }
  if (o.dryRun) {
    out();
    for (const s of steps) out('  ' + stepLine(s) + verdict(s));
    out(`dry run: ${changed.length} file(s) would change`);
    process.exitCode = changed.length || stuck.length ? 1 : 0;
    return;
  }
  commitChanges(root, dir, changed.map(([p, t]) => ({ path: p, before: tree.get(p)!, after: t })));
  out();
  for (const s of steps) out('  ' + stepLine(s) + verdict(s));
  out(changed.length ? `wrote ${changed.length} file(s): ${changed.map(([p]) => p).join(', ')}` : 'nothing to change');
  process.exitCode = stuck.length ? 1 : 0;
}
