/**
 * Trees the bench runs on, generated at bench time into a temporary folder from our own files
 * (fixtures, harness, templates): nothing here is copied from upstream, and nothing generated
 * is committed.
 *
 * - upstream-shaped: the sample laid out as Elementum's repository is (upgrade_2.0.x and
 *   upgrade_1.2.x libtorrent-go folders with more SWIG files, a daemon folder, Python, Go,
 *   translations, images, docs), about 330 files and 15 MB, most of them unrelated to memfix;
 * - real: the system's /usr/include (hard-linked) beside three checkouts of our shapes;
 * - a header padded to a given size with unrelated classes.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');
export const SAMPLE = 'fixtures/sample';
export const SAMPLE_HEADER = 'upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp';

function put(root: string, path: string, content: string | Buffer): number {
  const p = join(root, path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return typeof content === 'string' ? Buffer.byteLength(content) : content.length;
}

/** A deterministic byte stream (xorshift), for stand-ins of binary files. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
}

/** Our shapes with the disk I/O names changed: C++ of the same kind that is no target. */
function unrelated(text: string, n: number): string {
  return text
    .replace(/\bbuffer_allocator_interface\b/g, 'buffer_observer')
    .replace(/\bdisk_interface\b/g, 'disk_observer')
    .replace(/\bdisk_io_constructor\b/g, 'observer_factory')
    .replace(/\bmemory_disk_io\b/g, `cache_store_${n}`);
}

const SAMPLE_FILES = [
  'upgrade_2.0.x/libtorrent-go/memory_disk_io.hpp',
  'upgrade_2.0.x/libtorrent-go/interfaces/disk_interface.i',
  'upgrade_2.0.x/libtorrent-go/interfaces/session.i',
  'upgrade_1.2.x/libtorrent-go/memory_storage.hpp',
  'upgrade_1.2.x/libtorrent-go/interfaces/session.i',
];

/** A SWIG file of our own that is no target (a module's typemaps and includes). */
function swigFile(name: string, i: number): string {
  return `// ${name}: SWIG wrappers for part ${i} of the session API\n%{\n#include <libtorrent/${name}.hpp>\n%}\n\n` +
    `%include <std_string.i>\n%include <std_vector.i>\n%template(${name}_list) std::vector<libtorrent::${name}>;\n` +
    `%ignore libtorrent::${name}::internal_state;\n%rename(Get${i}) libtorrent::${name}::get;\n\n` +
    `%extend libtorrent::${name} {\n    int count_${i}() const { return static_cast<int>($self->size()); }\n}\n\n%include <libtorrent/${name}.hpp>\n`;
}

/** The sample as Elementum lays it out, among many unrelated files. Returns the header's path. */
export function makeUpstreamTree(root: string): { header: string; files: number; bytes: number } {
  let files = 0;
  let total = 0;
  const add = (p: string, c: string | Buffer) => { total += put(root, p, c); files++; };
  for (const f of SAMPLE_FILES) add(f, read(join(SAMPLE, f)));
  const swigNames = ['info_hash', 'add_torrent_params', 'torrent_handle', 'alerts', 'extensions', 'session_params', 'torrent_info', 'bitfield'];
  swigNames.forEach((n, i) => add(`upgrade_2.0.x/libtorrent-go/interfaces/${n}.i`, swigFile(n, i)));
  ['time_types', 'add_torrent_params', 'priority_types', 'torrent_handle'].forEach((n, i) => add(`upgrade_1.2.x/libtorrent-go/interfaces/${n}.i`, swigFile(n, i)));
  add('upgrade_2.0.x/libtorrent-go/libtorrent.i', `%module libtorrent\n%{\n#include "memory_disk_io.hpp"\n%}\n` + swigNames.map((n) => `%include "interfaces/${n}.i"\n`).join('') + '%include "interfaces/disk_interface.i"\n%include "interfaces/session.i"\n');
  add('daemon_implementation/libtorrent-go/memory_storage_lookbehind.hpp', unrelated(read('fixtures/shapes/early/memory_disk_io.hpp'), 0));
  const prose = read(join(SAMPLE, 'README.md'));
  for (let i = 0; i < 100; i++) add(`${i < 20 ? '' : `docs/part${i % 7}/`}NOTES_${i}.md`, `# Notes ${i}\n\n${prose.repeat(1 + (i % 5))}`);
  for (let i = 0; i < 70; i++) add(`resources/site-packages/elementum/module_${i}.py`, `"""Module ${i}."""\n\n` + Array.from({ length: 40 + i }, (_, k) => `def handler_${k}(value):\n    return value * ${k} + ${i}\n`).join('\n'));
  for (let i = 0; i < 20; i++) add(`resources/language/lang_${i}/strings.po`, Array.from({ length: 200 }, (_, k) => `msgctxt "#${30000 + k}"\nmsgid "Message ${k}"\nmsgstr "Nachricht ${k}"\n`).join('\n'));
  for (let i = 0; i < 13; i++) add(`upgrade_2.0.x/go/file_${i}.go`, `package lt\n\n` + Array.from({ length: 60 }, (_, k) => `func Fn${k}(x int) int { return x + ${k} }\n`).join(''));
  for (let i = 0; i < 10; i++) add(`resources/web/component_${i}.tsx`, `export const C${i} = () => <div>${i}</div>;\n`.repeat(30));
  for (let i = 0; i < 69; i++) add(`resources/img/image_${i}.png`, bytes(200_000, i + 1));
  for (let i = 0; i < 11; i++) add(`scripts/step_${i}.sh`, `#!/bin/sh\nset -e\necho step ${i}\n`);
  for (let i = 0; i < 9; i++) add(`notes_${i}.txt`, `notes ${i}\n`.repeat(100));
  for (let i = 0; i < 6; i++) add(`resources/settings_${i}.xml`, `<settings>\n${'  <setting id="x" />\n'.repeat(50)}</settings>\n`);
  add('upgrade_2.0.x/libtorrent-go/Makefile', 'all:\n\tswig -go -c++ libtorrent.i\n');
  return { header: join(root, SAMPLE_HEADER), files, bytes: total };
}

/**
 * A real tree from what the machine has: the system's /usr/include (Boost, libtorrent and some
 * 22,000 other headers, hard-linked where the file system allows, else copied: no file is a copy
 * of another) with three checkouts of our upstream shapes in folders of their own. memfix must
 * find the three headers and nothing in /usr/include (libtorrent's own headers name its
 * interfaces, but no class there derives from both).
 */
export function makeRealTree(root: string, include = '/usr/include'): { files: number; bytes: number; checkouts: string[] } {
  mkdirSync(root, { recursive: true });
  const linked = spawnSync('cp', ['-al', include, join(root, 'include')], { stdio: 'ignore' });
  if (linked.status !== 0) {
    rmSync(join(root, 'include'), { recursive: true, force: true });
    cpSync(include, join(root, 'include'), { recursive: true, dereference: false, verbatimSymlinks: true });
  }
  const checkouts = ['elementum-c80b48b-shape', 'elementum-head-shape', 'libtorrent-go-early-shape'];
  const from = ['fixtures/sample', 'fixtures/shapes/head', 'fixtures/shapes/early'];
  checkouts.forEach((c, i) => cpSync(join(repoRoot, from[i]!), join(root, c), { recursive: true }));
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) { files++; bytes += statSync(p).size; }
    }
  };
  walk(root);
  return { files, bytes, checkouts };
}

/** The sample tree with its header padded to about `size` bytes with unrelated classes (non-ASCII text included). */
export function makeBigHeaderTree(root: string, size: number): { header: string; bytes: number } {
  for (const f of SAMPLE_FILES) put(root, f, read(join(SAMPLE, f)));
  const header = read(join(SAMPLE, SAMPLE_HEADER));
  const parts: string[] = [];
  let n = Buffer.byteLength(header);
  for (let i = 0; n < size; i++) {
    const s = `struct padding_${i} {\n    int value_${i} = ${i};\n    int get() const { return value_${i} * 2; } // non-ASCII: é—漢\n};\n`;
    parts.push(s);
    n += Buffer.byteLength(s);
  }
  // the padding goes after the includes, before the class: the fixes' edits land after it
  const at = header.indexOf('\nnamespace');
  const text = header.slice(0, at + 1) + parts.join('') + header.slice(at + 1);
  const bytesWritten = put(root, SAMPLE_HEADER, text);
  return { header: join(root, SAMPLE_HEADER), bytes: bytesWritten };
}
