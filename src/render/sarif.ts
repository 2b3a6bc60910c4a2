/**
 * SARIF 2.1.0 (OASIS), as GitHub code scanning reads it: one rule per fix (its title, the bug,
 * the fix and the analysis it comes from), one result per finding at file:line (paths from the
 * repository's top, relative to the SRCROOT base). Validated against the official schema in
 * test/formats.test.ts.
 */
import { pathToFileURL } from 'node:url';
import type { CheckReport, FixRule, ScanReport } from './report.ts';
import { findings } from './findings.ts';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

const uri = (path: string) => path.split('/').map(encodeURIComponent).join('/');

function analysisText(r: FixRule): string {
  const a = r.analysis;
  const issues = a.issues.length ? ` Issues: ${a.issues.map((i) => i.replace(/^#(\d+)\s*/, '$1: ')).join('; ')}.` : '';
  return a.fix === null ? `Beyond the memory-safety analysis: ${a.finding}.${issues}` : `Memory-safety analysis fix ${a.fix}.${issues}`;
}

function rule(r: FixRule) {
  return {
    id: r.id,
    name: r.id.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase()),
    shortDescription: { text: r.title },
    fullDescription: { text: r.why },
    help: { text: `${r.what}\n\n${analysisText(r)}\n\nRun \`memfix apply\` (or \`memfix series\`) to fix it.` },
    defaultConfiguration: { level: 'error' },
    properties: { tags: ['memory-safety', 'security'], analysis: r.analysis, dependsOn: r.dependsOn },
  };
}

/** The SARIF log of a scan or check report; `top` is the absolute path of the repository's top (or of DIR outside git). */
export function renderSarif(r: ScanReport | CheckReport, top: string): object {
  const rules = [
    ...r.rules.map(rule),
    { id: 'memfix', name: 'Memfix', shortDescription: { text: 'memfix could not do its job here' }, fullDescription: { text: 'A file memfix cannot read or parse, a tree without a target, or a patch series that does not fit the tree.' }, defaultConfiguration: { level: 'error' } },
    { id: 'memfix/parse-error', name: 'MemfixParseError', shortDescription: { text: 'a syntax error in a target file' }, fullDescription: { text: 'tree-sitter cannot parse this line of a target file. In code the fixes read or write it is an error (memfix judges and writes nothing in the file\'s folder until it is fixed); elsewhere a warning.' }, defaultConfiguration: { level: 'error' } },
    { id: 'memfix/conflict-marker', name: 'MemfixConflictMarker', shortDescription: { text: 'a git conflict marker in a target file' }, fullDescription: { text: 'A merge left a conflict (<<<<<<<, =======, >>>>>>>) in a target file. In code the fixes read or write it is an error (memfix judges and writes nothing in the file\'s folder until it is resolved); elsewhere a warning.' }, defaultConfiguration: { level: 'error' } },
  ];
  const index = new Map(rules.map((x, i) => [x.id, i]));
  const location = (l: { file: string; line: number }) => ({
    physicalLocation: { artifactLocation: { uri: uri(l.file), uriBaseId: 'SRCROOT' }, region: { startLine: Math.max(1, l.line) } },
  });
  const results = findings(r).filter((f) => f.locations.length).map((f) => ({
    ruleId: index.has(f.rule) ? f.rule : 'memfix',
    ruleIndex: index.get(f.rule) ?? index.get('memfix')!,
    level: f.level,
    kind: 'fail',
    message: { text: f.message },
    locations: [location(f.locations[0]!)],
    ...(f.locations.length > 1 ? { relatedLocations: f.locations.slice(1).map((l, i) => ({ id: i + 1, ...location(l) })) } : {}),
  }));
  const notifications = findings(r).filter((f) => !f.locations.length).map((f) => ({ level: f.level, message: { text: f.message } }));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'memfix', semanticVersion: r.memfix, version: r.memfix, rules } },
      originalUriBaseIds: { SRCROOT: { uri: pathToFileURL(top).href.replace(/\/?$/, '/') } },
      invocations: [{
        executionSuccessful: r.exitCode !== 2,
        exitCode: r.exitCode,
        ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
      }],
      results,
      properties: { command: r.command, dir: r.dir },
    }],
  };
}
