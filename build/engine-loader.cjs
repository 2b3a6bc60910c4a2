'use strict';
// dist/src/commands/index.cjs, copied there by build.mjs: what cli.cjs loads for the commands that
// run the engine. It runs dist/src/commands/engine.cjs (the engine, one CommonJS script) with V8's
// code cache for it, engine.v8cache (dist/src/script-loader.cjs, build/script-loader.cjs).
const { join } = require('node:path');
const { load } = require('../script-loader.cjs');

const engine = load(join(__dirname, 'engine.cjs'), join(__dirname, 'engine.v8cache'));
// import() in a script from a code cache fails in node 20 ("A dynamic import callback was not
// specified"): the engine imports through this module's (src/importer.ts)
const { useImporter, ...commands } = engine.exports;
useImporter((specifier) => import(specifier));

// the commands (src/commands/index.ts), whichever it exports
Object.assign(exports, commands);
exports.engineScript = engine.script;
/** Whether V8 took the code cache (undefined: there was none). */
exports.codeCacheTaken = engine.cacheTaken;
