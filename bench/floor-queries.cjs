// What no memfix command that runs the codemods can go below: the floor (bench/floor.cjs), then
// compiling the roles' and every codemod's tree-sitter queries as written: one compilation of
// every distinct text (comments and blanks aside: src/source.ts, patternsOf), which walks the
// grammar's whole parse table once, then analyses each pattern, as memfix does. Printed beside
// the floor, with no target of its own.
// Usage: node bench/floor-queries.cjs HEADER
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');
const Parser = require('tree-sitter');
const Cpp = require('tree-sitter-cpp');

const text = readFileSync(process.argv[2], 'utf8');
const parser = new Parser();
parser.setLanguage(Cpp);
const chunk = 64 * 1024;
const tree = parser.parse((i) => text.slice(i, i + chunk), undefined, { bufferSize: chunk + 1 });
if (tree.rootNode.endIndex < text.length - 1) process.exit(1);

const root = join(__dirname, '..');
const folders = [join(root, 'src', 'roles'), join(root, 'src', 'queries'), ...readdirSync(join(root, 'codemods')).map((d) => join(root, 'codemods', d)).filter((d) => statSync(d).isDirectory())];
// a rougher sameness than memfix's (comment lines out, blanks squeezed): the same texts here
const texts = new Set();
for (const dir of folders) for (const f of readdirSync(dir).filter((x) => x.endsWith('.scm'))) {
  texts.add(readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => !/^\s*;/.test(l)).join('\n').replace(/\s+/g, ' ').trim());
}
new Parser.Query(Cpp, [...texts].join('\n'));
