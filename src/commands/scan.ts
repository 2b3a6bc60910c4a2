import { needsWork, stepLine } from '../report.ts';
import { out, planDir, reportProblems } from './common.ts';

export async function scan(dir: string, o: { fix?: string[] }): Promise<void> {
  const { steps, problems } = await planDir(dir, o.fix);
  const shown = o.fix ? steps.filter((s) => o.fix!.includes(s.codemod.meta.id)) : steps;
  let lastGroup: string | null = null;
  for (const s of shown) {
    if (s.group !== lastGroup) { out(`${s.group || '.'}:`); lastGroup = s.group; }
    out('  ' + stepLine(s));
  }
  if (shown.every((s) => s.outcome.status === 'missing')) out('no targets found: no memory_disk_io header or SWIG interface files in this tree');
  process.exitCode = shown.some(needsWork) ? 1 : 0;
  reportProblems(problems);
}
