// node --import ./test/load-log/register.mjs ...: every module the process loads (ESM and
// CommonJS), one URL or path a line, appended to the file named by MEMFIX_LOAD_LOG.
import { register } from 'node:module';
import { appendFileSync } from 'node:fs';
import Module from 'node:module';

const log = process.env.MEMFIX_LOAD_LOG;
if (log) {
  register('./hooks.mjs', import.meta.url, { data: { log } });
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const r = load.apply(this, arguments);
    try { appendFileSync(log, `${Module._resolveFilename(request, parent, isMain)}\n`); } catch { /* a builtin */ }
    return r;
  };
}
