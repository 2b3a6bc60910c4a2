/**
 * GitHub Actions workflow commands: `::error file=F,line=L,title=T::message`, one per finding, so a
 * workflow run shows each one on the line it is about.
 */
import type { Report } from './report.ts';
import { findings } from './findings.ts';

/** Escaping as the Actions toolkit does: data keeps ':' and ','; properties do not. */
const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

const command = { error: 'error', warning: 'warning', note: 'notice' } as const;

export function renderGithub(r: Report): string {
  return findings(r).map((f) => {
    const l = f.locations[0];
    const props = [...(l ? [`file=${prop(l.file)}`, `line=${l.line}`] : []), `title=${prop(`memfix ${r.command}: ${f.rule}`)}`];
    return `::${command[f.level]} ${props.join(',')}::${data(f.message)}\n`;
  }).join('');
}
