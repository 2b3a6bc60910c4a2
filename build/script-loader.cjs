'use strict';
// dist/src/script-loader.cjs, copied there by build.mjs: runs one of dist/'s CommonJS bundles as
// require() would, but with V8's code cache for it (<name>.v8cache beside it), which the build
// takes after running the commands users run most (build/train.js): a run then neither
// compiles the bundle nor the functions those runs used. Node 20 accepts a code cache only for a
// script it is given (vm.Script). V8 ignores a cache that does not fit (another node, other flags,
// another bundle) and compiles the script as usual. The bin loads the command line (cli.cjs) this
// way, and the command line the engine (dist/src/commands/index.cjs, build/engine-loader.cjs).
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');

/**
 * Run the bundle `file` with the code cache `cache`: its exports, its script (the build takes the
 * cache from it) and whether V8 took the cache (undefined: there was none).
 */
exports.load = function load(file, cache) {
  let cachedData;
  try { cachedData = readFileSync(cache); } catch { /* built without one */ }
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, dirname(file));
  return { exports: module.exports, script, cacheTaken: cachedData ? !script.cachedDataRejected : undefined };
};
