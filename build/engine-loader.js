// dist/src/commands/index.js, copied there by build.mjs: what cli.js imports for the commands that
// run the engine. It runs dist/src/commands/engine.cjs (the engine, one CommonJS script) with V8's
// code cache for it, engine.v8cache, when the build could take one: node 20 accepts a code cache
// for a script (vm.Script), never for an ES module. V8 ignores a cache that does not fit (another
// node, other flags, another engine.cjs) and compiles the script as usual.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const file = fileURLToPath(new URL('./engine.cjs', import.meta.url));
const cacheFile = fileURLToPath(new URL('./engine.v8cache', import.meta.url));
let cachedData;
try { cachedData = readFileSync(cacheFile); } catch { /* built without one */ }

export const engineScript = new Script(Module.wrap(readFileSync(file, 'utf8')), {
  filename: file,
  cachedData,
});
/** Whether V8 took the code cache (undefined: there was none). */
export const codeCacheTaken = cachedData ? !engineScript.cachedDataRejected : undefined;

const engine = { exports: {} };
engineScript.runInThisContext()(engine.exports, createRequire(file), engine, file, dirname(file));

// import() in a script from a code cache fails in node 20: the engine imports through this
// module's (src/importer.ts), so a specifier resolves as it would in an ES module here
engine.exports.useImporter((specifier) => import(specifier));

export const { scan, apply, series, check, verify } = engine.exports;
