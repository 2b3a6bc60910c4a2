// npm run build (run by `npm ci` through `prepare`): the JavaScript the bin runs, in dist/.
//
// esbuild bundles the command line into a few CommonJS files: a command loads three or four files
// instead of about a hundred (each module file costs node a resolution, a read and a compilation:
// with one file per module that was a fifth of a run on the upstream tree):
//   dist/src/cli.cjs               the bin's: argument parsing and dispatch
//   dist/src/commands/list.cjs     list: metadata only (no parser, no engine)
//   dist/src/commands/new.cjs      new: the scaffolder, with ts-morph
//   dist/src/commands/index.cjs    every command that runs the engine (src/commands/index.ts),
//                                  with the engine, magic-string, diff and every codemod's modules
//                                  (transform, shape, mutants, ...), which it registers by source
//                                  path when it loads (registry.ts: registerBuiltIn); a codemod
//                                  folder added after the build is loaded from dist/codemods/<id>/
//                                  if built there, else reported as not built
// Each bundle holds its own copy of what it shares with the others (errors, paths, the
// registry): MemfixError is recognised across copies (errors.ts).
// The engine still never imports a particular codemod: the entry that registers them is written
// here, from the folders under codemods/, for this build only.
//
// Not bundled: the native parser (tree-sitter, tree-sitter-cpp), and what only one command loads
// (ts-morph, which only `new` loads).
// Type checking is `npm run typecheck` (esbuild only strips the types).
import { build } from 'esbuild';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const ts = (dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => `${dir}/${f}`);
const codemods = readdirSync(join(root, 'codemods')).filter((d) => statSync(join(root, 'codemods', d)).isDirectory()).sort();

rmSync(join(root, 'dist'), { recursive: true, force: true });

// the engine's entry: the commands, and every module of every codemod folder, registered by path
const entryDir = mkdtempSync(join(tmpdir(), 'memfix-build-'));
const entry = join(entryDir, 'index.ts');
const codemodModules = codemods.flatMap((d) => ts(`codemods/${d}`));
writeFileSync(entry, [
  `export * from ${JSON.stringify(join(root, 'src/commands/index.ts'))};`,
  `import { registerBuiltIn } from ${JSON.stringify(join(root, 'src/registry.ts'))};`,
  ...codemodModules.map((f, i) => `import * as m${i} from ${JSON.stringify(join(root, f))};`),
  `registerBuiltIn({ ${codemodModules.map((f, i) => `${JSON.stringify(f)}: m${i}`).join(', ')} });`,
  '',
].join('\n'));

// cli.ts loads the commands by path: they stay the files built below, not parts of cli.cjs
const commandsByPath = {
  name: 'commands-by-path',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/(index|list|new)\.ts$/ }, (a) => (a.importer.endsWith(join('src', 'cli.ts')) ? { path: a.path.replace(/\.ts$/, '.cjs'), external: true } : undefined));
  },
};

try {
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // the modules find the package's data from where they run (src/paths.ts)
    define: { 'import.meta.url': '__memfixModuleUrl' },
    banner: { js: "'use strict'; const __memfixModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  };
  const outside = ['tree-sitter', 'tree-sitter-cpp', 'ts-morph'];
  await build({
    ...common,
    entryPoints: [
      { in: 'src/cli.ts', out: 'src/cli' },
      { in: 'src/commands/list.ts', out: 'src/commands/list' },
      { in: 'src/commands/new.ts', out: 'src/commands/new' },
    ],
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    external: outside,
    plugins: [commandsByPath],
    // the commands' import(): a require() of the built file (no ES module loader)
    supported: { 'dynamic-import': false },
  });
  await build({ ...common, entryPoints: [entry], outfile: 'dist/src/commands/index.cjs', external: outside });
} finally {
  rmSync(entryDir, { recursive: true, force: true });
}
