/** Unified diffs for the terminal (the `diff` package), coloured with picocolors. */
import { createTwoFilesPatch } from 'diff';
import pc from 'picocolors';

export function unified(path: string, before: string, after: string, context = 3): string {
  return createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context });
}

/** Colour a unified diff; a CR at a line's end is shown as ␍ so CRLF edits stay visible. */
export function colourDiff(diff: string, colour = pc.isColorSupported): string {
  const c = colour ? pc : { red: (s: string) => s, green: (s: string) => s, cyan: (s: string) => s, bold: (s: string) => s, dim: (s: string) => s };
  return diff
    .split('\n')
    .filter((l) => !/^(Index: |={10,})/.test(l))
    .map((l) => {
      const line = l.endsWith('\r') ? l.slice(0, -1) + c.dim('␍') : l;
      if (l.startsWith('+++') || l.startsWith('---')) return c.bold(line);
      if (l.startsWith('@@')) return c.cyan(line);
      if (l.startsWith('+')) return c.green(line);
      if (l.startsWith('-')) return c.red(line);
      return line;
    })
    .join('\n');
}
