import pc from 'picocolors';
import { MemfixError } from '../errors.ts';
import { loadCodemodInfo } from '../registry.ts';
import { version } from '../version.ts';

// not common.ts's: that module loads the engine and the parser, which list does not need
const out = (s = '') => process.stdout.write(s + '\n');

/**
 * The codemods in series order. `--format json`: `{memfix, format: 1, command: 'list', codemods}`,
 * each codemod its meta.json as it is (id, title, why, what, analysis, targets, dependsOn ...).
 */
export async function list(o: { format?: string } = {}): Promise<void> {
  const format = o.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new MemfixError(`--format ${format}: list gives text, json`);
  if (format === 'json') {
    out(JSON.stringify({ memfix: version, format: 1, command: 'list', codemods: loadCodemodInfo().map((m) => m.meta) }, null, 2));
    return;
  }
  for (const m of loadCodemodInfo()) {
    const meta = m.meta;
    out(`${pc.bold(meta.id)}: ${meta.title}`);
    const a = meta.analysis;
    out(`  fixes:      ${a.fix === null ? `beyond the analysis (${a.finding})` : `analysis fix #${a.fix}`}${a.issues.length ? `; issues ${a.issues.join(', ')}` : ''}`);
    out(`  targets:    ${meta.targets.join(', ')}`);
    out(`  depends on: ${meta.dependsOn.length ? meta.dependsOn.join(', ') : 'nothing'}`);
    out(`  ${meta.why}`.replace(/(.{1,96})(\s|$)/g, '$1\n  ').trimEnd());
    out();
  }
}
