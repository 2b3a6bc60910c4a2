import pc from 'picocolors';
import { loadCodemodInfo } from '../registry.ts';

// not common.ts's: that module loads the engine and the parser, which list does not need
const out = (s = '') => process.stdout.write(s + '\n');

export async function list(): Promise<void> {
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
