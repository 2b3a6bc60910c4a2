/** The one error type of memfix. The CLI prints `memfix: <message>` and exits 2. */
export class MemfixError extends Error {
  override name = 'MemfixError';
  constructor(message: string, public file?: string, public line?: number) {
    super(file ? `${file}${line ? `:${line}` : ''}: ${message}` : message);
  }
}
