'use strict';
// dist/src/commands/index.cjs, copied there by build.mjs: what cli.cjs loads for the commands that
// run the engine. It runs dist/src/commands/engine.cjs (the engine, one CommonJS script) with V8's
// code cache for it, engine.v8cache, when the build could take one (build/train-engine.js): node
// 20 accepts a code cache only for a script it is given (vm.Script). V8 ignores a cache that does
// not fit (another node, other flags, another engine.cjs) and compiles the script as usual.
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const file = join(__dirname, 'engine.cjs');
let cachedData;
try { cachedData = readFileSync(join(__dirname, 'engine.v8cache')); } catch { /* built without one */ }

const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
const engine = { exports: {} };
script.runInThisContext()(engine.exports, Module.createRequire(file), engine, file, __dirname);
// import() in a script from a code cache fails in node 20 ("A dynamic import callback was not
// specified"): the engine imports through this module's (src/importer.ts)
engine.exports.useImporter((specifier) => import(specifier));

exports.engineScript = script;
/** Whether V8 took the code cache (undefined: there was none). */
exports.codeCacheTaken = cachedData ? !script.cachedDataRejected : undefined;
exports.scan = engine.exports.scan;
exports.apply = engine.exports.apply;
exports.series = engine.exports.series;
exports.check = engine.exports.check;
exports.verify = engine.exports.verify;
