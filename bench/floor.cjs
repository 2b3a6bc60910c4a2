// The floor a memfix command is measured against: node, loading tree-sitter and tree-sitter-cpp,
// reading the header and parsing it once (as memfix's own parser does: chunks of 64 Ki UTF-16 units).
// Usage: node bench/floor.cjs HEADER
const { readFileSync } = require('node:fs');
const Parser = require('tree-sitter');
const Cpp = require('tree-sitter-cpp');

const text = readFileSync(process.argv[2], 'utf8');
const parser = new Parser();
parser.setLanguage(Cpp);
const chunk = 64 * 1024;
const tree = parser.parse((i) => text.slice(i, i + chunk), undefined, { bufferSize: chunk + 1 });
if (tree.rootNode.endIndex < text.length - 1) process.exit(1);
