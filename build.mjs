// npm run build (run by `npm ci` through `prepare`): the JavaScript the bin runs, in dist/.
//
// esbuild bundles the command line into a few ES modules: a command loads three or four files
// instead of about a hundred (each ES module costs node a resolution, a read, a compilation and
// a link: with one file per module that was a fifth of a run on the upstream tree, and with a
// chunk per set of entry points sharing code, about twenty files, still a tenth):
//   dist/src/cli.js             the bin's: argument parsing and dispatch
//   dist/src/commands/list.js   list: metadata only (no parser, no engine)
//   dist/src/commands/new.js    new: the scaffolder, with ts-morph
//   dist/src/commands/index.js  every command that runs the engine (src/commands/index.ts), with
//                               the engine and every codemod's modules (transform, shape,
//                               mutants, ...), which it registers by source path when it loads
//                               (registry.ts: registerBuiltIn); a codemod folder added after the
//                               build is loaded from dist/codemods/<id>/ if built there, else
//                               reported as not built
//   dist/chunks/                what those share (errors, paths, the registry)
// The engine still never imports a particular codemod: the entry that registers them is written
// here, from the folders under codemods/, for this build only.
//
// Not bundled: the native parser (tree-sitter, tree-sitter-cpp), what only one command loads
// (@inquirer/prompts for apply's prompt, ts-morph for `new`), and magic-string (so that
// test/loading.test.ts can still see which command loads the edit machinery).
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

// cli.ts loads the commands by path: they stay the files built below, not chunks of cli.js
const commandsByPath = {
  name: 'commands-by-path',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/(index|list|new)\.ts$/ }, (a) => (a.importer.endsWith(join('src', 'cli.ts')) ? { path: a.path.replace(/\.ts$/, '.js'), external: true } : undefined));
  },
};

try {
  await build({
    absWorkingDir: root,
    entryPoints: [
      { in: 'src/cli.ts', out: 'src/cli' },
      { in: 'src/commands/list.ts', out: 'src/commands/list' },
      { in: 'src/commands/new.ts', out: 'src/commands/new' },
      { in: entry, out: 'src/commands/index' },
    ],
    outdir: 'dist',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['tree-sitter', 'tree-sitter-cpp', '@inquirer/prompts', 'ts-morph', 'magic-string'],
    plugins: [commandsByPath],
    // CommonJS dependencies bundled into an ES module call require() for node's built-ins
    banner: { js: "import { createRequire as __memfixCreateRequire } from 'node:module'; const require = __memfixCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
} finally {
  rmSync(entryDir, { recursive: true, force: true });
}
