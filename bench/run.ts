/**
 * npm run bench: how long discovery, parsing and planning take on the sample tree and on a large
 * synthetic header (the sample's header padded with many unrelated classes), and peak memory.
 * Targets: the sample plans in under 1 s; a 2 MB header in under 10 s (each fix re-parses the
 * file it changed); peak RSS under 600 MB. Measured 2026-11-27: 0.2 s, 6 s, 475 MB.
 */
import { fileURLToPath } from 'node:url';
import { loadCodemods } from '../src/registry.ts';
import { plan } from '../src/engine.ts';
import { readTree } from '../src/workspace.ts';

const root = fileURLToPath(new URL('../fixtures/sample/', import.meta.url));
const mods = await loadCodemods();
const time = async (label: string, f: () => Promise<unknown>, runs = 5) => {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) { const s = performance.now(); await f(); t.push(performance.now() - s); }
  t.sort((a, b) => a - b);
  console.log(`${label.padEnd(40)} median ${t[Math.floor(runs / 2)]!.toFixed(1)} ms  min ${t[0]!.toFixed(1)} ms`);
};
await time('sample: read tree', async () => readTree(root));
const tree = readTree(root);
await time('sample: plan all fixes', () => plan(new Map([...tree].map(([p, t]) => [p, t + ' '])), mods));
const header = [...tree].find(([p]) => p.endsWith('memory_disk_io.hpp'))!;
let pad = '';
for (let i = 0; pad.length < 2_000_000; i++) pad += `struct padding_${i} {\n    int value_${i} = ${i};\n    int get() const { return value_${i} * 2; } // non-ASCII: é—漢\n};\n`;
const big = new Map(tree);
big.set(header[0], pad + header[1]);
console.log(`large header: ${(big.get(header[0])!.length / 1e6).toFixed(1)} M characters`);
await time('large header: plan all fixes', () => plan(new Map([...big].map(([p, t]) => [p, t + ' '])), mods), 3);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
