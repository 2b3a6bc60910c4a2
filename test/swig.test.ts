/**
 * SWIG masking (src/swig.ts) and parsing SWIG files as C++ (src/source.ts): the masked text has
 * the original's length and newlines, so every syntax-tree index is an index into the original.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskSwig } from '../src/swig.ts';
import { parseSource, textOf, type SourceFile, type SyntaxNode } from '../src/source.ts';
import { ofType } from '../src/cst.ts';

/** Every position: same length; newline / CR exactly where the original has them. */
function assertShape(text: string, masked: string): void {
  assert.equal(masked.length, text.length, 'masked text has a different length');
  for (let i = 0; i < text.length; i++) {
    const o = text[i]!;
    const m = masked[i]!;
    if (o === '\n' || o === '\r') assert.equal(m, o, `line break at ${i} was masked`);
    else assert.ok(m !== '\n' && m !== '\r', `masking put a line break at ${i}`);
  }
}

/** The function_definition nodes of a parsed file, with their declared names (original text). */
function functions(src: SourceFile): { node: SyntaxNode; name: string }[] {
  return ofType(src.root, 'function_definition').map((node) => {
    let d: SyntaxNode | null = node.childForFieldName('declarator');
    while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
    const nameNode = d?.childForFieldName('declarator');
    assert.ok(nameNode, `function_definition without a name at ${node.startIndex}`);
    return { node, name: textOf(src, nameNode) };
  });
}

function nameNodeOf(fn: SyntaxNode): SyntaxNode {
  let d: SyntaxNode | null = fn.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  const n = d?.childForFieldName('declarator');
  assert.ok(n);
  return n;
}

const SAMPLE = [
  '// session.i',
  '%module(directors="1") memfix',
  '',
  '%{',
  '#include <vector>',
  'int code_block_helper() { return 1; }',
  '%}',
  '',
  '%include <x>',
  '%include "extensions.i"',
  '%ignore a::b;',
  '%feature("director") x;',
  '%template(N) std::vector<T>;',
  '',
  '%inline %{',
  'namespace ns {',
  '    int inline_fn(int a) { return a + 1; }',
  '}',
  '%}',
  '',
  '%extend X {',
  '    int get_value() const',
  '    {',
  '        return $self->value;',
  '    }',
  '',
  '    void set_value(int v)',
  '    {',
  '        $self->value = v;',
  '    }',
  '}',
  '',
  'int after_all() { return 0; }',
  '',
].join('\n');

test('maskSwig keeps the length and every newline (LF and CRLF)', () => {
  for (const text of [SAMPLE, SAMPLE.replace(/\n/g, '\r\n')]) {
    const { masked } = maskSwig(text);
    assertShape(text, masked);
    assert.equal(masked.split('\n').length, text.split('\n').length);
  }
});

test('maskSwig records %{ %} and %inline %{ %} blocks with their content ranges', () => {
  const { blocks, masked } = maskSwig(SAMPLE);
  assert.equal(blocks.length, 2, JSON.stringify(blocks));
  const [bare, inline] = blocks;
  assert.equal(bare!.kind, '');
  assert.equal(bare!.start, SAMPLE.indexOf('%{') + 2);
  assert.equal(bare!.end, SAMPLE.indexOf('%}'));
  assert.equal(SAMPLE.slice(bare!.start, bare!.end), '\n#include <vector>\nint code_block_helper() { return 1; }\n');
  assert.equal(inline!.kind, 'inline');
  const inlineOpen = SAMPLE.indexOf('%inline %{') + '%inline %{'.length;
  assert.equal(inline!.start, inlineOpen);
  assert.equal(inline!.end, SAMPLE.indexOf('%}', inlineOpen));
  assert.equal(SAMPLE.slice(inline!.start, inline!.end), '\nnamespace ns {\n    int inline_fn(int a) { return a + 1; }\n}\n');
  // the markers and the keyword are blanked, the content is kept as it is
  for (const b of blocks) {
    assert.equal(masked.slice(b.start - 2, b.start), '  ');
    assert.equal(masked.slice(b.end, b.end + 2), '  ');
    assert.equal(masked.slice(b.start, b.end), SAMPLE.slice(b.start, b.end));
  }
  const kw = SAMPLE.indexOf('%inline');
  assert.equal(masked.slice(kw, inlineOpen), ' '.repeat(inlineOpen - kw));
});

test('maskSwig records other code-block keywords (%header, %wrapper, %init) and a block without a keyword', () => {
  const text = '%header %{\nint h;\n%}\n%wrapper%{int w;%}\n%init %{\n  setup();\n%}\n%{int bare;%}\n';
  const { blocks, masked } = maskSwig(text);
  assertShape(text, masked);
  assert.deepEqual(blocks.map((b) => [b.kind, text.slice(b.start, b.end)]), [
    ['header', '\nint h;\n'],
    ['wrapper', 'int w;'],
    ['init', '\n  setup();\n'],
    ['', 'int bare;'],
  ]);
  assert.ok(!masked.includes('%'), masked);
});

test('%extend bodies parse as function definitions whose indices point into the original text', () => {
  const src = parseSource('interfaces/x.i', SAMPLE);
  assert.equal(src.kind, 'swig');
  assert.equal(src.swig?.extends.length, 1);
  const ext = src.swig!.extends[0]!;
  assert.equal(ext.name, 'X');
  assert.equal(ext.at, SAMPLE.indexOf('%extend'));
  assert.equal(SAMPLE[ext.start - 1], '{');
  assert.equal(SAMPLE[ext.end], '}');
  assert.equal(ext.end, SAMPLE.indexOf('\n}\n', ext.start) + 1);

  const fns = functions(src);
  const inExtend = fns.filter((f) => f.node.startIndex >= ext.start && f.node.endIndex <= ext.end);
  assert.deepEqual(inExtend.map((f) => f.name), ['get_value', 'set_value']);
  assert.ok(textOf(src, inExtend[0]!.node).startsWith('int get_value() const'), textOf(src, inExtend[0]!.node));
  assert.ok(textOf(src, inExtend[1]!.node).startsWith('void set_value(int v)'), textOf(src, inExtend[1]!.node));
  assert.ok(textOf(src, inExtend[0]!.node).endsWith('}'));
  // the original text keeps $self, the parsed one sees a plain identifier
  assert.ok(textOf(src, inExtend[0]!.node).includes('$self->value'));
  // the other code parses too: code blocks, %inline and after the %extend
  assert.deepEqual(fns.map((f) => f.name).sort(), ['after_all', 'code_block_helper', 'get_value', 'inline_fn', 'set_value']);
  assert.ok(!src.root.hasError, 'the masked SWIG file should parse without errors');
});

test('%extend with a qualified name, and two of them, keep their methods apart', () => {
  const text = [
    '%extend libtorrent::session_params {',
    '    void set_memory_disk_io(std::int64_t memory_size)',
    '    {',
    '        $self->x = memory_size;',
    '    }',
    '}',
    '%extend libtorrent::settings_pack {',
    '    bool has_setting(std::string const& name) const',
    '    {',
    '        return $self->has(name);',
    '    }',
    '}',
    '',
  ].join('\r\n');
  const src = parseSource('session.i', text);
  assertShape(text, src.swig!.masked);
  assert.deepEqual(src.swig!.extends.map((e) => e.name), ['libtorrent::session_params', 'libtorrent::settings_pack']);
  const fns = functions(src);
  assert.deepEqual(fns.map((f) => f.name), ['set_memory_disk_io', 'has_setting']);
  for (const [i, e] of src.swig!.extends.entries()) {
    assert.ok(fns[i]!.node.startIndex > e.start && fns[i]!.node.endIndex <= e.end);
  }
  assert.ok(textOf(src, fns[0]!.node).startsWith('void set_memory_disk_io('));
  assert.ok(textOf(src, fns[1]!.node).startsWith('bool has_setting('));
  assert.ok(!src.root.hasError);
});

test('$self inside %extend is masked to " self"; text outside is untouched', () => {
  const { masked } = maskSwig(SAMPLE);
  let n = 0;
  for (let i = SAMPLE.indexOf('$self'); i >= 0; i = SAMPLE.indexOf('$self', i + 1)) {
    assert.equal(masked.slice(i, i + 5), ' self', `$self at ${i}`);
    n++;
  }
  assert.equal(n, 2);
  assert.ok(!masked.includes('$'));
  // the extend keyword became `namespace` padded with spaces, the name and `{` are blanked/kept
  const at = SAMPLE.indexOf('%extend X {');
  assert.equal(masked.slice(at, at + '%extend X {'.length), 'namespace {');
  // C++ after the %extend is unchanged
  const tail = SAMPLE.indexOf('int after_all');
  assert.equal(masked.slice(tail), SAMPLE.slice(tail));
});

test('directives are blanked to the end of their statement', () => {
  const { masked } = maskSwig(SAMPLE);
  const lines = SAMPLE.split('\n');
  const mlines = masked.split('\n');
  for (const d of ['%module(directors="1") memfix', '%include <x>', '%include "extensions.i"', '%ignore a::b;', '%feature("director") x;', '%template(N) std::vector<T>;']) {
    const i = lines.indexOf(d);
    assert.ok(i >= 0, d);
    assert.equal(mlines[i], ' '.repeat(d.length), `${d} not blanked: ${JSON.stringify(mlines[i])}`);
  }
  // a directive followed by code on the same line blanks only the directive
  const text = '%ignore foo; int keep_me;\n%rename(bar) baz; int keep_too;\n';
  const m = maskSwig(text).masked;
  assert.equal(m, ' '.repeat('%ignore foo;'.length) + ' int keep_me;\n' + ' '.repeat('%rename(bar) baz;'.length) + ' int keep_too;\n');
});

test('a directive spanning lines and %define ... %enddef are blanked, newlines kept', () => {
  const text = '%typemap(in) int {\n  $1 = f($input);\n}\n%define MACRO(x)\n  x + 1\n%enddef\nint kept;\n%feature("docstring") foo "\n" ;\n';
  const { masked } = maskSwig(text);
  assertShape(text, masked);
  const keep = text.indexOf('int kept;');
  assert.equal(masked.slice(0, keep).replace(/\n/g, ''), ' '.repeat(text.slice(0, keep).replace(/\n/g, '').length));
  assert.equal(masked.slice(keep, keep + 'int kept;'.length), 'int kept;');
  assert.ok(!masked.includes('%'));
  assert.ok(!masked.includes('$'));
});

test('a % inside a string or a comment is left alone', () => {
  const text = [
    '// 100% sure: %include <not_a_directive.i>',
    '/* %ignore nothing; %{ not a block %} */',
    'const char* fmt = "%d %include %{";',
    "char pct = '%';",
    '%extend X {',
    '    int show() { printf("%d%% %ignore\\n", 1); return 0; } // 50% %template(x) y;',
    '    /* %{ */ int also() { return 2; }',
    '}',
    '',
  ].join('\n');
  const { masked, blocks } = maskSwig(text);
  assertShape(text, masked);
  assert.equal(blocks.length, 0, JSON.stringify(blocks));
  const mlines = masked.split('\n');
  const lines = text.split('\n');
  for (const i of [0, 1, 2, 3]) assert.equal(mlines[i], lines[i]);
  assert.equal(mlines[5], lines[5]);
  assert.equal(mlines[6], lines[6]);
  const src = parseSource('x.i', text);
  assert.deepEqual(functions(src).map((f) => f.name), ['show', 'also']);
});

test('a BOM and non-ASCII comments keep node indices as JavaScript string indices', () => {
  const BOM = '\uFEFF';
  const text = [
    BOM + '// interface — café, 漢字 and 🚀 before anything',
    '/* déjà vu — 漢字 🎉 */',
    '%module memfix',
    '%inline %{',
    '// inside: é — 漢字 😀😀',
    'namespace libtorrent {',
    '    /* 🚀 multi',
    '       line — é */',
    '    int first_function(int a) { return a; } // ✓ trailing 漢',
    '    // 🎉',
    '    void second_function() {}',
    '}',
    '%}',
    '%extend Y {',
    '    // — é 😀',
    '    int third_function() { return $self->v; }',
    '}',
    '',
  ].join('\r\n');
  assert.ok([...text].length < text.length, 'the text has surrogate pairs');
  const { masked } = maskSwig(text);
  assertShape(text, masked);
  assert.equal(masked[0], BOM, 'maskSwig keeps the BOM; parseSource replaces it for the parser');

  const src = parseSource('interfaces/disk_interface.i', text);
  assert.equal(src.text, text, 'the source keeps the original text, BOM included');
  const fns = ofType(src.root, 'function_definition');
  const names = fns.map((f) => textOf(src, nameNodeOf(f)));
  assert.deepEqual(names, ['first_function', 'second_function', 'third_function']);
  for (const f of fns) {
    const n = nameNodeOf(f);
    assert.equal(text.slice(n.startIndex, n.endIndex), textOf(src, n));
    assert.equal(n.endIndex - n.startIndex, textOf(src, n).length);
  }
  assert.ok(textOf(src, fns[0]!).startsWith('int first_function(int a)'));
  assert.ok(textOf(src, fns[1]!).startsWith('void second_function()'));
  assert.ok(textOf(src, fns[2]!).startsWith('int third_function()'));
  // the comment nodes cover exactly the comment texts
  // (tree-sitter-cpp ends a line comment after the \r of a CRLF)
  const comments = ofType(src.root, 'comment').map((c) => textOf(src, c).replace(/\r$/, ''));
  assert.ok(comments.includes('// inside: é — 漢字 😀😀'), JSON.stringify(comments));
  assert.ok(comments.includes('/* 🚀 multi\r\n       line — é */'), JSON.stringify(comments));
  assert.ok(comments.includes('// ✓ trailing 漢'), JSON.stringify(comments));
  assert.ok(comments.includes('// — é 😀'), JSON.stringify(comments));
  // and the same for a plain C++ header with a BOM
  const hpp = BOM + '// — 漢字 🚀\nstruct S { int f(); };\nint S::f() { return 1; } // é\n';
  const h = parseSource('x.hpp', hpp);
  const hf = ofType(h.root, 'function_definition');
  assert.equal(hf.length, 1);
  assert.equal(textOf(h, nameNodeOf(hf[0]!)), 'S::f');
  assert.ok(textOf(h, hf[0]!).startsWith('int S::f()'));
});
