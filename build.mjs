// npm run build (run by `npm ci` through `prepare`): the JavaScript the bin runs, in dist/.
//
// esbuild bundles the command line with its modules and its small pure-JavaScript dependencies
// into a few ES modules that share code through chunks (dist/chunks/): a command loads a handful
// of files instead of about a hundred, which takes a tenth of a second off every run. The paths
// that are loaded by path keep their place: dist/src/cli.js (the bin's), dist/src/commands/*.js,
// and every module of a codemod folder, dist/codemods/<id>/<name>.js (the engine loads a
// codemod's transform.js, mutants.js ... by path and never imports one: a codemod's code is its
// own entry point, and what it shares with the engine is one module instance, in a chunk).
//
// Not bundled: the native parser (tree-sitter, tree-sitter-cpp), what only one command loads
// (@inquirer/prompts for apply's prompt, ts-morph for `new`), and magic-string (so that
// test/loading.test.ts can still see which command loads the edit machinery).
// Type checking is `npm run typecheck` (esbuild only strips the types).
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const ts = (dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => `${dir}/${f}`);
const codemods = readdirSync(join(root, 'codemods')).filter((d) => statSync(join(root, 'codemods', d)).isDirectory()).sort();

rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts', ...ts('src/commands'), ...codemods.flatMap((d) => ts(`codemods/${d}`))],
  outdir: 'dist',
  outbase: '.',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['tree-sitter', 'tree-sitter-cpp', '@inquirer/prompts', 'ts-morph', 'magic-string'],
  // CommonJS dependencies bundled into an ES module call require() for node's built-ins
  banner: { js: "import { createRequire as __memfixCreateRequire } from 'node:module'; const require = __memfixCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
