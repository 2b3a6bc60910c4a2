// npm run test:unit | test:cxx | test:cli: one tier of the tests (test/tiers.json names the files
// of unit and cxx; cli is every other test file). `npm test` runs them all.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const tiers = JSON.parse(readFileSync(new URL('tiers.json', import.meta.url), 'utf8'));
const all = readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => f.slice(0, -'.test.ts'.length));
const named = new Set(Object.values(tiers).flat());
const tier = process.argv[2];
const files = tier === 'cli' ? all.filter((f) => !named.has(f)) : tiers[tier];
if (!files) {
  process.stderr.write(`test/tier.mjs: no tier ${JSON.stringify(tier)} (unit, cxx, cli)\n`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files.map((f) => `test/${f}.test.ts`)], { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
process.exit(r.status ?? 1);
