/** Human-readable lines for plan steps. */
import pc from 'picocolors';
import type { Step } from './engine.ts';

const label: Record<string, (s: string) => string> = {
  apply: pc.yellow,
  applied: pc.green,
  drift: pc.red,
  missing: pc.dim,
  blocked: pc.magenta,
};

/** One line for a step; locations are relative to the scanned folder. */
export function stepLine(step: Step): string {
  const o = step.outcome;
  const id = step.codemod.meta.id.padEnd(20);
  const st = (label[o.status] ?? String)(o.status.padEnd(8));
  switch (o.status) {
    case 'apply': return `${st} ${id} ${o.at.map((a) => `${a.file}:${a.line}`).join(', ')}${o.notes.length ? `  (${o.notes.join('; ')})` : ''}`;
    case 'applied': return `${st} ${id} ${o.at.map((a) => `${a.file}:${a.line}`).join(', ')}`;
    case 'drift': return `${st} ${id} ${o.at.file}:${o.at.line}: expected ${o.expected}`;
    case 'missing': return `${st} ${id} ${o.reason}`;
    case 'blocked': return `${st} ${id} ${o.reason}`;
  }
}

/** A step that cannot go on: its target drifted, or a dependency keeps it from applying. */
export function isStuck(step: Step): boolean {
  return step.outcome.status === 'drift' || step.outcome.status === 'blocked';
}

/** A step needs attention: it would apply, or it is stuck. */
export function needsWork(step: Step): boolean {
  return step.outcome.status === 'apply' || isStuck(step);
}
