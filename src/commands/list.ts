import pc from 'picocolors';
import { MemfixError } from '../errors.ts';
import { loadCodemodInfo } from '../registry.ts';
import { version } from '../version.ts';
import { wrapCell } from '../render/table.ts';
import { lineWidth } from '../render/width.ts';

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
    // every line in the output's width: long ones wrap onto indented lines
    const width = lineWidth();
    const put = (text: string, indent: string) => {
      const [first, ...more] = wrapCell(text, width);
      out([first, ...(more.length ? wrapCell(more.join(' '), width - indent.length).map((l) => indent + l) : [])].join('\n'));
    };
    const [title, ...rest] = wrapCell(`${meta.id}: ${meta.title}`, width);
    out([title!.replace(meta.id, pc.bold(meta.id)), ...rest.map((l) => '  ' + l)].join('\n'));
    const a = meta.analysis;
    put(`  fixes:      ${a.fix === null ? `beyond the analysis (${a.finding})` : `analysis fix #${a.fix}`}${a.issues.length ? `; issues ${a.issues.join(', ')}` : ''}`, ' '.repeat(14));
    put(`  targets:    ${meta.targets.join(', ')}`, ' '.repeat(14));
    put(`  depends on: ${meta.dependsOn.length ? meta.dependsOn.join(', ') : 'nothing'}`, ' '.repeat(14));
    put(`  ${meta.why}`, '  ');
    out();
  }
}
