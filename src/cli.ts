/** memfix's command line. Every command maps to a function in src/commands/. */
import { Command, Option } from 'commander';
import { MemfixError } from './errors.ts';

const program = new Command('memfix')
  .description('Fix the memory-safety bugs of libtorrent-go\'s in-memory disk I/O, prove the fixes, and keep them fixed.')
  .option('--debug', 'show stack traces')
  .option('--no-color', 'no colours')
  .showHelpAfterError('(run memfix --help for usage)')
  .exitOverride();

const fixOption = new Option('--fix <ids>', 'only these fixes (comma-separated ids)').argParser((v: string) => v.split(',').map((s) => s.trim()).filter(Boolean));

program.command('list').description('the codemods: what each fixes, their targets and dependencies')
  .action(async () => (await import('./commands/list.ts')).list());

program.command('scan').argument('[dir]', 'tree to scan', '.').description('each fix\'s outcome on DIR: apply, applied, drift or missing (exit 1 when a fix is needed or drifted)')
  .addOption(fixOption)
  .action(async (dir: string, o: { fix?: string[] }) => (await import('./commands/scan.ts')).scan(dir, o));

program.command('apply').argument('[dir]', 'tree to fix', '.').description('show each needed fix and apply the ones you accept')
  .option('-y, --yes', 'apply everything needed without asking')
  .option('--dry-run', 'only print what would change')
  .addOption(fixOption)
  .action(async (dir: string, o) => (await import('./commands/apply.ts')).apply(dir, o));

program.command('series').argument('[dir]', 'tree to fix', '.').description('write the fixes as a git am / quilt patch series')
  .requiredOption('-o, --output <out>', 'folder for the patches')
  .option('--force', 'write into a folder that holds files memfix did not write')
  .option('--author <who>', 'patch author, "Name <email>" (default: DIR\'s git config)')
  .option('--date <date>', 'patch date (ISO 8601 or seconds since the epoch; default: SOURCE_DATE_EPOCH, else DIR\'s HEAD commit date)')
  .option('--verify', 'check that the tree compiles after each patch, and put the sanitizer before/after table in the cover letter')
  .addOption(fixOption)
  .action(async (dir: string, o) => (await import('./commands/series.ts')).series(dir, o));

program.command('check').argument('[dir]', 'tree the series is for', '.').description('CI: does the series still apply, is it stale, do the codemods still find their targets')
  .requiredOption('--patches <out>', 'folder holding the series')
  .action(async (dir: string, o) => (await import('./commands/check.ts')).check(dir, o));

program.command('verify').argument('[dir]', 'tree to verify', '.').description('build the code with the sanitizers and run the scenarios that prove each fix')
  .option('--compare', 'also on a copy with every needed fix applied: before and after')
  .option('--tsan', 'also build with ThreadSanitizer and run the scenarios meant for it')
  .option('--keep', 'keep the build folder')
  .option('--std <std>', 'the C++ standard to build with (always -pedantic-errors)', 'c++14')
  .option('--mutants', 'every mutant of the fixed tree (a fix undone in one place) must fail a scenario; exit 1 when one survives')
  .action(async (dir: string, o) => (await import('./commands/verify.ts')).verify(dir, o));

program.command('new').argument('<id>', 'codemod id (lower-case slug)').description('scaffold a new codemod folder')
  .option('--title <title>', 'title')
  .action(async (id: string, o) => (await import('./commands/new.ts')).scaffold(id, o));

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  if (argv.includes('--no-color')) process.env.NO_COLOR = '1';
  process.exitCode = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code?.startsWith('commander.')) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2; // commander printed the message already
    }
    if (err.name === 'ExitPromptError') { process.stderr.write('memfix: aborted, nothing written\n'); return 2; }
    if (e instanceof MemfixError) process.stderr.write(`memfix: ${e.file ? `${e.file}${e.line ? `:${e.line}` : ''}: ` : ''}${err.message}\n`);
    else process.stderr.write(`memfix: internal error: ${err.message}${debug ? '' : ' (run with --debug for the stack trace)'}\n`);
    if (debug) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}
