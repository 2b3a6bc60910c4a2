/** The width memfix's lines fit in: `COLUMNS` when set, else the terminal's, else 100 (not a terminal: a CI log, a file). */
export function lineWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  const env = Number(process.env.COLUMNS);
  if (Number.isInteger(env) && env > 0) return Math.max(env, 40);
  return (stream.isTTY && stream.columns) || 100;
}
