/**
 * Where memfix's own data lives. The engine runs either as TypeScript (tests, through tsx) from
 * src/, or compiled to JavaScript from dist/src/; its data (codemods' meta.json and queries,
 * templates, the harness, package.json) is read from the package root in both cases, and a
 * codemod's transform is loaded in the engine's own language: transform.ts beside its meta.json,
 * or transform.js in the mirrored folder under dist/.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The folder that holds package.json (the first one up from this module). */
export const packageRoot: string = (() => {
  for (let d = here; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) throw new Error(`memfix: no package.json above ${here}`);
  }
})();

/** Where the compiled JavaScript mirrors the package (empty when running the TypeScript itself). */
const compiledRoot = relative(packageRoot, here).split(/[\\/]/)[0] === 'dist' ? join(packageRoot, 'dist') : '';

/** The extension of the engine's own modules: '.js' compiled, '.ts' under tsx. */
export const moduleExt = compiledRoot ? '.js' : '.ts';

export const dataPath = (...parts: string[]) => join(packageRoot, ...parts);

/** The module file of a source path of the package (e.g. codemods/x/transform.ts), in the engine's language. */
export function modulePath(sourcePath: string): string {
  const rel = relative(packageRoot, sourcePath).replace(/\.ts$/, '');
  return compiledRoot ? join(compiledRoot, rel + '.js') : join(packageRoot, rel + '.ts');
}
