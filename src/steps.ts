/** Plan steps as lines of text (the text renderer's, src/render/text.ts) and as states. */
import type { Step } from './engine.ts';
import { outcomeOf } from './render/report.ts';
import { outcomeLine } from './render/text.ts';

/**
 * A step's line (wrapped onto indented lines in the output's width, under a caller's two-space
 * indentation, with room for a verdict such as `  → would apply` after it); locations are
 * relative to the scanned folder.
 */
export function stepLine(step: Step): string {
  return outcomeLine(outcomeOf(step), { lead: 2, tail: 16 });
}

/** A step that cannot go on: its target drifted, or a dependency keeps it from applying. */
export function isStuck(step: Step): boolean {
  return step.outcome.status === 'drift' || step.outcome.status === 'blocked';
}

/** A step needs attention: it would apply, or it is stuck. */
export function needsWork(step: Step): boolean {
  return step.outcome.status === 'apply' || isStuck(step);
}
