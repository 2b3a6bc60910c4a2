/** memfix's command line. Every command maps to a function in src/commands/. */
import { Command, Option } from 'commander';
import { MemfixError, ioError, isIoError } from './errors.ts';
import { version } from './version.ts';

const program = new Command('memfix')
  .description('Fix the memory-safety bugs of libtorrent-go\'s in-memory disk I/O, prove the fixes, and keep them fixed.')
  .option('--debug', 'show stack traces')
  .option('--no-color', 'no colours')
  .version(version, '-V, --version', 'print memfix\'s version')
  // commander's own errors (an unknown command, a missing option) are one `memfix: ...` line too
  .configureOutput({ outputError: (msg, write) => write(`memfix: ${msg.replace(/^error: /, '').trim().split('\n').map((l) => l.trim()).join(' ')} (run memfix --help for usage)\n`) })
  .exitOverride();

const fixOption = () => new Option('--fix <ids>', 'only these fixes and what they need (comma-separated ids)').argParser((v: string) => v.split(',').map((s) => s.trim()).filter(Boolean));
const formatOption = (formats: string) => new Option('--format <format[:file]>', `${formats}; to stdout, or to FILE after a colon (repeatable; text goes to stdout unless another format does)`)
  .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);

program.command('list').description('the codemods: what each fixes, their targets and dependencies')
  .option('--format <format>', 'text or json (each codemod\'s metadata, in series order)', 'text')
  .action(async (o: { format?: string }) => (await import('./commands/list.ts')).list(o));

program.command('scan').argument('[dir]', 'tree to scan', '.').description('each fix\'s outcome on DIR: apply, applied, drift or missing (exit 1 when a fix is needed or drifted)')
  .addOption(fixOption())
  .addOption(formatOption('text, json, sarif, github, junit or codequality'))
  .action(async (dir: string, o: { fix?: string[]; format?: string[] }) => (await import('./commands/index.ts')).scan(dir, o));

program.command('apply').argument('[dir]', 'tree to fix', '.').description('show each needed fix and apply the ones you accept')
  .option('-y, --yes', 'apply everything needed without asking')
  .option('--dry-run', 'only print what would change')
  .addOption(fixOption())
  .action(async (dir: string, o) => (await import('./commands/index.ts')).apply(dir, o));

program.command('series').argument('[dir]', 'tree to fix', '.').description('write the fixes as a git am / quilt patch series')
  .requiredOption('-o, --output <out>', 'folder for the patches')
  .option('--force', 'write into a folder that holds files memfix did not write')
  .option('--author <who>', 'patch author, "Name <email>" (default: DIR\'s git config)')
  .option('--date <date>', 'patch date (ISO 8601 or seconds since the epoch; default: SOURCE_DATE_EPOCH, else DIR\'s HEAD commit date)')
  .option('--verify', 'check that the tree compiles after each patch, and put the sanitizer before/after table in the cover letter')
  .addOption(fixOption())
  .action(async (dir: string, o) => (await import('./commands/index.ts')).series(dir, o));

program.command('check').argument('[dir]', 'tree the series is for', '.').description('CI: does the series still apply, is it stale, do the codemods still find their targets')
  .requiredOption('--patches <out>', 'folder holding the series')
  .addOption(new Option('--stale <level>', 'a stale series (memfix would write it differently today, though it applies): a warning (exit 0) or an error (exit 1)').choices(['warning', 'error']).default('warning'))
  .addOption(formatOption('text, json, sarif, github, junit or codequality'))
  .action(async (dir: string, o) => (await import('./commands/index.ts')).check(dir, o));

program.command('verify').argument('[dir]', 'tree to verify', '.').description('build the code with the sanitizers and run the scenarios that prove each fix')
  .option('--compare', 'also on a copy with every needed fix applied: before and after')
  .option('--tsan', 'also build with ThreadSanitizer and run the scenarios meant for it')
  .option('--keep', 'keep the build folder')
  .option('--std <std>', 'the C++ standard to build with (always -pedantic-errors)', 'c++14')
  .option('--mutants', 'every mutant of the fixed tree (a fix undone in one place) must fail a scenario; exit 1 when one survives')
  .addOption(formatOption('text, json, github, junit or codequality'))
  .action(async (dir: string, o) => (await import('./commands/index.ts')).verify(dir, o));

program.command('new').argument('<id>', 'codemod id (lower-case slug)').description('scaffold a codemod in the memfix checkout you are in (codemods/ID, templates/ID)')
  .option('--title <title>', 'title')
  .option('--finding <text>', 'where the bug was found (a fix beyond the analysis)')
  .option('--dir <project>', 'the project folder to scaffold into (default: the memfix checkout holding the current directory)')
  .action(async (id: string, o) => (await import('./commands/new.ts')).scaffold(id, o));

/** Exit codes: 0 nothing to do / all good, 1 a fix is needed or a check failed, 2 bad input or cannot run, 130 interrupted. */
export const EXIT = { ok: 0, needed: 1, error: 2, interrupted: 130 } as const;

/**
 * Output to a closed pipe (`memfix check | head -1`) ends the run quietly, with the exit code so
 * far. Any other failure to write the output (`>/dev/full`: ENOSPC, EIO) ends it with one line on
 * stderr and exit 2, never a stack trace.
 */
function quietPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.exit(Number(process.exitCode ?? 0));
      if (stream === process.stdout) {
        try { process.stderr.write(`memfix: cannot write the output: ${ioError(e).message}\n`); } catch { /* stderr fails too */ }
      }
      process.exit(EXIT.error);
    });
  }
}

/** Environment variables memfix reads as numbers: a value that is not one is an error at once. */
const NUMERIC_ENV: Record<string, { min: number; what: string }> = {
  MEMFIX_MAX_FILE_MIB: { min: Number.MIN_VALUE, what: 'a number of MiB above 0' },
  MEMFIX_LOCK_WAIT: { min: 0, what: 'a number of seconds, 0 or more' },
};

export function checkEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, { min, what }] of Object.entries(NUMERIC_ENV)) {
    const v = env[name];
    if (v === undefined || v.trim() === '') continue;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new MemfixError(`${name} must be ${what}, got "${v}"`);
  }
}

/**
 * A signal ends the run between two steps, never inside one: memfix writes files synchronously, so
 * a handler runs only when no write is half done (and a lock is released on the way out). The
 * engine lets the event loop run between two fixes, so a signal ends a long plan promptly; one
 * that comes during apply's transaction ends the run once the transaction is done (exit 130 or
 * 143 all the same).
 */
function exitOnSignals(): void {
  for (const [sig, code] of [['SIGINT', EXIT.interrupted], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(sig, () => {
      try { process.stderr.write('\nmemfix: interrupted\n'); } catch { /* stderr closed */ }
      process.exit(code);
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  if (argv.includes('--no-color')) process.env.NO_COLOR = '1';
  quietPipes();
  exitOnSignals();
  process.exitCode = 0;
  try {
    checkEnvironment();
    await program.parseAsync(argv, { from: 'user' });
    // a signal that came while the command's last synchronous work ran (apply's transaction) is
    // handled now: the run ends as interrupted, whatever it finished
    await new Promise((r) => setImmediate(r));
    return Number(process.exitCode ?? 0);
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code?.startsWith('commander.')) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.error; // commander printed the message already
    }
    if (err.name === 'ExitPromptError') { process.stderr.write('memfix: aborted, nothing written\n'); return EXIT.interrupted; }
    const shown = e instanceof MemfixError ? e : isIoError(e) ? ioError(e) : null;
    if (shown) process.stderr.write(`memfix: ${shown.file ? `${shown.file}${shown.line ? `:${shown.line}` : ''}: ` : ''}${shown.message}\n`);
    else process.stderr.write(`memfix: internal error: ${err.message}${debug ? '' : ' (run with --debug for the stack trace)'}\n`);
    if (debug) process.stderr.write(`${err.stack}\n`);
    return EXIT.error;
  }
}
