/** Loading codemods from their folders, checking their metadata, ordering them by dependency. */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dataPath, modulePath, packageRoot } from './paths.ts';
import { MemfixError } from './errors.ts';
import { ROLES, type Codemod, type Meta } from './codemod.ts';

export const codemodsDir = dataPath('codemods') + '/';

function checkMeta(m: Meta, dir: string): void {
  const where = join(dir, 'meta.json');
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (!str(m.id) || !/^[a-z][a-z0-9-]*$/.test(m.id)) throw new MemfixError('meta.id must be a lower-case slug', where);
  for (const k of ['title', 'why', 'what'] as const) if (!str(m[k])) throw new MemfixError(`meta.${k} is missing`, where);
  if (!m.analysis || !Array.isArray(m.analysis.issues)) throw new MemfixError('meta.analysis.issues must be a list', where);
  if (m.analysis.fix === null) {
    if (!str(m.analysis.finding)) throw new MemfixError('meta.analysis.finding is missing (a fix beyond the analysis says where its bug was found)', where);
  } else if (!Number.isInteger(m.analysis.fix) || m.analysis.fix < 1) {
    throw new MemfixError('meta.analysis.fix must be the analysis\' fix number, or null with a finding', where);
  }
  if (!Array.isArray(m.dependsOn)) throw new MemfixError('meta.dependsOn must be a list', where);
  if (m.first !== undefined && typeof m.first !== 'boolean') throw new MemfixError('meta.first must be true or false', where);
  if (!Array.isArray(m.targets) || m.targets.some((t) => !ROLES.includes(t))) throw new MemfixError(`meta.targets must list roles of ${ROLES.join(', ')}`, where);
  if (!m.commit || !str(m.commit.subject) || !str(m.commit.body)) throw new MemfixError('meta.commit needs subject and body', where);
}

/** A codemod's folder, metadata and queries, without its transform (what `list` needs: no parser is loaded). */
export type CodemodInfo = Omit<Codemod, 'transform'>;

/** The .scm files of a folder, by name without the extension. */
export function scmFiles(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(folder).sort()) if (f.endsWith('.scm')) out[f.slice(0, -4)] = readFileSync(join(folder, f), 'utf8');
  return out;
}

/**
 * The queries several codemods need (src/queries/*.scm: a method called through an object, a
 * posted lambda, a namespace-scope item). Every codemod can run them by name; its own file of the same
 * name comes first. One text, compiled once per run, its matches shared by the codemods that run it.
 */
let shared: Record<string, string> | undefined;
export const sharedQueries = () => (shared ??= scmFiles(dataPath('src', 'queries')));

/** Every codemod's metadata and query texts, checked and in dependency order; nothing is compiled or imported. */
export function loadCodemodInfo(dir = codemodsDir): CodemodInfo[] {
  const found: CodemodInfo[] = [];
  for (const name of readdirSync(dir).sort()) {
    const folder = join(dir, name);
    if (!existsSync(join(folder, 'meta.json'))) continue;
    const meta = JSON.parse(readFileSync(join(folder, 'meta.json'), 'utf8')) as Meta;
    checkMeta(meta, folder);
    if (meta.id !== name) throw new MemfixError(`meta.id "${meta.id}" differs from its folder name`, join(folder, 'meta.json'));
    // compiled when a transform first asks for one (test/loading.test.ts compiles them all)
    found.push({ meta, dir: folder, queries: { ...sharedQueries(), ...scmFiles(folder) } });
  }
  return orderByDependency(found);
}

/**
 * Codemod modules built into the engine's bundle (dist/src/commands/index.cjs registers them when
 * it loads: see build.mjs), by their source path relative to the package root.
 */
const builtIn = new Map<string, Record<string, unknown>>();

export function registerBuiltIn(modules: Record<string, Record<string, unknown>>): void {
  for (const [path, mod] of Object.entries(modules)) builtIn.set(path, mod);
}

const packagePath = (file: string) => relative(packageRoot, file).split(sep).join('/');

/** Whether a codemod has this module (e.g. codemods/x/mutants.ts): built in, or its file in the engine's language. */
export function hasModule(file: string): boolean {
  return builtIn.has(packagePath(file)) || existsSync(modulePath(file));
}

/** A codemod's module (e.g. codemods/x/transform.ts): built into the bundle, else loaded by path. */
export async function loadModule(file: string): Promise<Record<string, unknown>> {
  const mod = builtIn.get(packagePath(file));
  if (mod) return mod;
  if (!existsSync(modulePath(file))) throw new MemfixError(`not built: run \`npm run build\` in ${packageRoot}`, relative(process.cwd(), file) || file);
  return import(pathToFileURL(modulePath(file)).href) as Promise<Record<string, unknown>>;
}

/** Every codemod, its transform loaded (in the engine's own language). */
export async function loadCodemods(dir = codemodsDir): Promise<Codemod[]> {
  return Promise.all(loadCodemodInfo(dir).map(async (info) => {
    const file = join(info.dir, 'transform.ts');
    const mod = (await loadModule(file)) as { transform?: Codemod['transform'] };
    if (typeof mod.transform !== 'function') throw new MemfixError('transform.ts must export transform(ctx)', file);
    return { ...info, transform: mod.transform };
  }));
}

/** Topological order (a fix marked `first` leads); ties keep folder (alphabetical) order. Unknown or cyclic dependencies are errors. */
export function orderByDependency<T extends Pick<Codemod, 'meta'>>(mods: T[]): T[] {
  const byId = new Map(mods.map((m) => [m.meta.id, m]));
  const out: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (m: T, chain: string[]) => {
    const s = state.get(m.meta.id);
    if (s === 'done') return;
    if (s === 'visiting') throw new MemfixError(`dependency cycle: ${[...chain, m.meta.id].join(' -> ')}`);
    state.set(m.meta.id, 'visiting');
    for (const d of m.meta.dependsOn) {
      const dep = byId.get(d);
      if (!dep) throw new MemfixError(`${m.meta.id} depends on unknown codemod "${d}"`);
      visit(dep, [...chain, m.meta.id]);
    }
    state.set(m.meta.id, 'done');
    out.push(m);
  };
  // a fix marked `first` (one that makes upstream's own code build, so every prefix of the series
  // compiles) before all others; then analysis order (fix numbers; fixes beyond the analysis after
  // those), then id
  const rank = (m: T) => (m.meta.first ? 0 : m.meta.analysis.fix ?? Number.MAX_SAFE_INTEGER);
  const start = [...mods].sort((a, b) => rank(a) - rank(b) || (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0));
  for (const m of start) visit(m, []);
  return out;
}
