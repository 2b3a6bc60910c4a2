const brand = Symbol.for('memfix.MemfixError');

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

  /** The built engine is a bundle of its own with its own copy of this module (build.mjs): an error of either copy is a MemfixError to both. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}
Object.defineProperty(MemfixError.prototype, brand, { value: true });

const ERRNO: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error',
  EXDEV: 'cannot rename across file systems',
  EBUSY: 'resource busy',
  ETXTBSY: 'text file busy',
};

/** A system error (EACCES, ENOSPC ...) as what it means for the user. */
export function isIoError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code!) && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** `memfix: <file>: <doing>: no space left on device (ENOSPC)`: the file named, never "internal error". */
export function ioError(e: unknown, file?: string, doing?: string): MemfixError {
  if (e instanceof MemfixError) return e;
  const err = e as NodeJS.ErrnoException;
  const what = err.code ? `${ERRNO[err.code] ?? err.message.replace(/^[A-Z]+: /, '').replace(/,.*$/, '')} (${err.code})` : err.message;
  return new MemfixError(doing ? `${doing}: ${what}` : what, file ?? err.path);
}
