/** render() (src/template.ts): re-indentation, base indentation, line endings, blank lines, slots. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fill, render, type Layout } from '../src/template.ts';
import { MemfixError } from '../src/errors.ts';

const TEMPLATE = [
  'void {{name}}()',
  '{',
  '    if ({{cond}}) {',
  '        do_it();',
  '',
  '          aligned(1,',
  '                  2);',
  '    }',
  '    ',
  '}',
  '',
].join('\n');

const layout = (indentUnit: string, eol: '\n' | '\r\n' = '\n', base = ''): Layout => ({ style: { eol, indentUnit }, base });
const vars = { name: 'free_disk_buffer', cond: 'ok' };

test('a 4-space template is re-indented with a tab unit', () => {
  const out = render(TEMPLATE, vars, layout('\t'));
  assert.equal(out, [
    'void free_disk_buffer()',
    '{',
    '\tif (ok) {',
    '\t\tdo_it();',
    '',
    '\t\t  aligned(1,',
    '\t\t\t\t  2);',
    '\t}',
    '',
    '}',
  ].join('\n'));
  for (const line of out.split('\n')) assert.ok(!/^\t* {4}/.test(line), `4-space group left in ${JSON.stringify(line)}`);
});

test('a 4-space template is re-indented with a 2-space unit', () => {
  assert.equal(render(TEMPLATE, vars, layout('  ')), [
    'void free_disk_buffer()',
    '{',
    '  if (ok) {',
    '    do_it();',
    '',
    '      aligned(1,',
    '          2);',
    '  }',
    '',
    '}',
  ].join('\n'));
});

test('a 4-space unit keeps the template as it is (without its final newline)', () => {
  const out = render(TEMPLATE, vars, layout('    '));
  assert.equal(out, TEMPLATE.replace('{{name}}', 'free_disk_buffer').replace('{{cond}}', 'ok').replace('\n    \n', '\n\n').replace(/\n$/, ''));
});

test('base indentation goes before every non-empty line, and blank lines stay empty', () => {
  for (const base of ['    ', '\t\t', '  ']) {
    const unit = base.startsWith('\t') ? '\t' : base.length === 2 ? '  ' : '    ';
    const out = render(TEMPLATE, vars, layout(unit, '\n', base));
    const lines = out.split('\n');
    assert.equal(lines.length, 10);
    for (const [i, line] of lines.entries()) {
      if (i === 4 || i === 8) assert.equal(line, '', `line ${i + 1} must be empty, got ${JSON.stringify(line)}`);
      else assert.ok(line.startsWith(base), `line ${i + 1} lacks the base: ${JSON.stringify(line)}`);
    }
    assert.equal(lines[2], base + unit + 'if (ok) {');
    assert.equal(lines[3], base + unit + unit + 'do_it();');
    assert.ok(!/[ \t]$/m.test(out), 'no trailing whitespace');
  }
});

test('CRLF when asked, and only CRLF', () => {
  const out = render(TEMPLATE, vars, layout('\t', '\r\n', '\t'));
  assert.ok(out.includes('\r\n'));
  assert.ok(!/(?<!\r)\n/.test(out), 'a lone LF in CRLF output');
  assert.ok(!/\r(?!\n)/.test(out), 'a lone CR in CRLF output');
  assert.equal(out.split('\r\n').length, 10);
  assert.equal(out.split('\r\n')[4], '');
  assert.equal(out.split('\r\n')[3], '\t\t\tdo_it();');
  // a template saved with CRLF renders the same, and LF output has no CR
  const fromCrlf = render(TEMPLATE.replace(/\n/g, '\r\n'), vars, layout('\t', '\n'));
  assert.equal(fromCrlf, render(TEMPLATE, vars, layout('\t', '\n')));
  assert.ok(!fromCrlf.includes('\r'));
  assert.equal(render(TEMPLATE.replace(/\n/g, '\r\n'), vars, layout('\t', '\r\n', '\t')), out);
});

test('slot values are inserted as they are, and a missing slot throws MemfixError', () => {
  const out = render('    x = {{a}};\n', { a: '  weird\tvalue  ' }, layout('\t'));
  assert.equal(out, '\tx =   weird\tvalue  ;');
  assert.throws(() => render(TEMPLATE, { name: 'f' }, layout('\t')), (e: unknown) => e instanceof MemfixError && /cond/.test(e.message));
  assert.throws(() => render('{{missing}}', {}, layout('  '), 'templates/x/y.cpp'), (e: unknown) => e instanceof MemfixError && /templates\/x\/y\.cpp/.test(e.message) && /missing/.test(e.message));
  assert.throws(() => fill('a {{b}} c', {}), MemfixError);
  assert.equal(fill('{{a}}{{a}} {{b}}', { a: '1', b: '' }), '11 ');
});
