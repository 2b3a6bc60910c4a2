import pc from 'picocolors';
import { loadCodemods } from '../registry.ts';
import { out } from './common.ts';

export async function list(): Promise<void> {
  for (const m of await loadCodemods()) {
    const meta = m.meta;
    out(`${pc.bold(meta.id)}: ${meta.title}`);
    out(`  fixes:      analysis fix #${meta.analysis.fix}; issues ${meta.analysis.issues.join(", ")}`);
    out(`  targets:    ${meta.targets.join(', ')}`);
    out(`  depends on: ${meta.dependsOn.length ? meta.dependsOn.join(', ') : 'nothing'}`);
    out(`  ${meta.why}`.replace(/(.{1,96})(\s|$)/g, '$1\n  ').trimEnd());
    out();
  }
}
