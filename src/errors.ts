/**
 * The one error type of memfix. The CLI prints it as `memfix: <message>`,
 * prefixed with `file:line: ` when those are known.
 */
export class MemfixError extends Error {
  constructor(
    message: string,
    public file?: string,
    public line?: number,
  ) {
    super(message);
    this.name = 'MemfixError';
  }
}
