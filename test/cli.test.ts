/**
 * The command line as a user meets it: memfix list / scan / apply as subprocesses on copies of the
 * fixtures, exit codes, error lines, what is (not) written; apply under a pseudo-terminal.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCodemodInfo } from '../src/registry.ts';
import {
  BIN, DISK_I, EARLY, HEAD, HEADER, IDS, REPO, SAMPLE, SESSION_I, assertOneLineError, assertSameTree, baseEnv, copyTree, memfix, show,
  snapshot, statusById, stepLines, tempRoot,
} from './e2e-helpers.ts';

const tmp = tempRoot('memfix-cli-');
after(() => tmp.cleanup());

let n = 0;
const copy = (from: string) => copyTree(from, join(tmp.root, `t${++n}`));
const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');

/** The statuses of the fixes: every id exactly once, with this status. */
function assertAll(stdout: string, status: string, what: string): void {
  const by = statusById(stdout);
  for (const id of IDS) assert.deepEqual(by[id], [status], `${what}: ${id} should be "${status}" once\n${stdout}`);
}

/** The text of a C++ member function, from its name to the next `void async_`/end. */
function fnText(src: string, sig: string): string {
  const at = src.indexOf(sig);
  assert.ok(at >= 0, `no ${sig}`);
  const next = src.indexOf('void async_', at + sig.length);
  return src.slice(at, next < 0 ? undefined : next);
}

describe('cli', { concurrency: 3, timeout: 400_000 }, () => {
  test('list names every codemod with its analysis fix number and dependencies', async () => {
    const r = await memfix(['list']);
    assert.equal(r.code, 0, show(r));
    const expected: Record<string, { fix: number; deps: string }> = {
      'free-disk-buffer': { fix: 2, deps: 'nothing' },
      'copy-on-read': { fix: 1, deps: 'free-disk-buffer' },
      'guarded-global': { fix: 3, deps: 'nothing' },
      'storage-generation': { fix: 4, deps: 'copy-on-read' },
    };
    const blocks = new Map<string, string>();
    for (const b of r.stdout.split(/\n(?=[a-z][a-z0-9-]*: )/)) {
      const m = /^([a-z][a-z0-9-]*): /.exec(b.trimStart());
      if (m) blocks.set(m[1]!, b);
    }
    for (const [id, e] of Object.entries(expected)) {
      const b = blocks.get(id);
      assert.ok(b, `list names ${id}\n${r.stdout}`);
      assert.match(b, new RegExp(`analysis fix #${e.fix}\\b`), `${id} is analysis fix #${e.fix}\n${b}`);
      assert.match(b, /issues #\d/, `${id} cites the analysis issue numbers`);
      assert.match(b, new RegExp(`depends on:\\s+${e.deps}\\s*$`, 'm'), `${id} depends on ${e.deps}\n${b}`);
    }
    // dependency order: a codemod is listed after what it needs
    const order = [...blocks.keys()];
    assert.ok(order.indexOf('free-disk-buffer') < order.indexOf('copy-on-read'), order.join(', '));
    assert.ok(order.indexOf('copy-on-read') < order.indexOf('storage-generation'), order.join(', '));
  });

  test('scan of the sample: exit 1 and one apply line per fix', async () => {
    const r = await memfix(['scan', SAMPLE]);
    assert.equal(r.code, 1, show(r));
    assertAll(r.stdout, 'apply', 'scan sample');
    assert.equal(stepLines(r.stdout).filter((s) => s.status === 'apply').length, IDS.length, show(r));
    const fdb = stepLines(r.stdout).find((s) => s.id === 'free-disk-buffer')!;
    // file:line relative to the group header naming the folder (the JSON keeps the path from DIR)
    assert.match(r.stdout, /^upgrade_2\.0\.x\/libtorrent-go:$/m, show(r));
    assert.match(fdb.line, /\smemory_disk_io\.hpp:\d+/, 'names file:line');
    assert.equal(r.stderr, '');
  });

  test('apply --yes, then scan: all applied, exit 0; a second apply --yes changes no byte', async () => {
    const d = copy(SAMPLE);
    const orig = snapshot(d);
    const a = await memfix(['apply', d, '--yes']);
    assert.equal(a.code, 0, show(a));
    const fixed = snapshot(d);
    assert.ok(!fixed.get(HEADER)!.equals(orig.get(HEADER)!), 'the header changed');
    assert.ok(!fixed.get(DISK_I)!.equals(orig.get(DISK_I)!), 'disk_interface.i changed');
    for (const [p, b] of orig) if (!p.startsWith('upgrade_2.0.x/')) assert.ok(fixed.get(p)!.equals(b), `${p} (not a 2.0 target) is untouched`);
    const [s, again] = await Promise.all([memfix(['scan', d]), memfix(['apply', d, '--yes'])]);
    assert.equal(s.code, 0, show(s));
    assertAll(s.stdout, 'applied', 'scan after apply');
    assert.equal(again.code, 0, show(again));
    assert.match(again.stdout, /nothing to change/, show(again));
    assertSameTree(snapshot(d), fixed, 'second apply --yes');
  });

  test('scan of an empty dir (a mistyped path passes no CI): exit 2, one line naming the dir and the reason', async () => {
    const empty = tmp.dir('empty');
    const r = await memfix(['scan', empty]);
    assert.equal(r.code, 2, show(r));
    assertAll(r.stdout, 'missing', 'empty dir');
    assert.equal(assertOneLineError(r, 'scan of an empty dir'), `memfix: ${empty}: no target found: no memory_disk_io header (a class deriving from disk_interface and buffer_allocator_interface) and no SWIG interface file of it in this tree`);
  });

  test('scan of a nonexistent dir: exit 2, one line on stderr', async (t) => {
    const missing = join(tmp.root, 'does-not-exist');
    const r = await memfix(['scan', missing]);
    await t.test('exit 2, one `memfix:` line, no stack trace', () => {
      assert.equal(r.code, 2, show(r));
      assertOneLineError(r, 'scan of a nonexistent dir');
      assert.equal(r.stdout, '');
    });
    await t.test('the error names the dir', () => {
      assert.ok(r.stderr.includes('does-not-exist'), show(r));
    });
  });

  test('--fix with an unknown id: exit 2, names it and the known ids', async () => {
    const r = await memfix(['scan', SAMPLE, '--fix', 'free-disk-buffer,no-such-fix']);
    assert.equal(r.code, 2, show(r));
    const line = assertOneLineError(r, '--fix unknown');
    assert.match(line, /no-such-fix/);
    for (const id of IDS) assert.ok(line.includes(id), `lists known id ${id}: ${line}`);
  });

  test('apply without a terminal and without --yes: exit 2, one-line hint, nothing changed', async () => {
    const d = copy(SAMPLE);
    const before = snapshot(d);
    const r = await memfix(['apply', d]);
    assert.equal(r.code, 2, show(r));
    assert.match(assertOneLineError(r, 'apply without a terminal'), /--yes/);
    assertSameTree(snapshot(d), before, 'apply without a terminal');
  });

  test('apply --dry-run prints the diffs and changes nothing', async () => {
    const d = copy(SAMPLE);
    const before = snapshot(d);
    const r = await memfix(['apply', d, '--dry-run']);
    assert.equal(r.code, 1, `a dry run with changes to make exits 1, as scan does\n${show(r)}`);
    assert.match(r.stdout, /^\+\+\+ b?\/?upgrade_2\.0\.x\/libtorrent-go\/memory_disk_io\.hpp/m, show(r));
    assert.match(r.stdout, /^@@ -\d+/m, show(r));
    assert.match(r.stdout, /dry run: [1-9]\d* file\(s\) would change/, show(r));
    assert.match(r.stdout, /^\s+apply\s+copy-on-read\s.*→ would apply$/m, show(r));
    assert.doesNotMatch(r.stdout, /→ applied/, show(r));
    assertSameTree(snapshot(d), before, 'apply --dry-run');
  });

  test('apply --fix free-disk-buffer --yes applies only that fix', async () => {
    const d = copy(SAMPLE);
    const before = snapshot(d);
    const r = await memfix(['apply', d, '--fix', 'free-disk-buffer', '--yes']);
    assert.equal(r.code, 0, show(r)); // only the chosen fix counts: its dependents left out are no failure
    assert.match(r.stdout, /^\s+apply\s+free-disk-buffer\s.*→ applied/m, show(r));
    assert.match(r.stdout, /wrote 1 file\(s\): upgrade_2\.0\.x\/libtorrent-go\/memory_disk_io\.hpp$/m, show(r));
    const after = snapshot(d);
    for (const [p, b] of before) if (p !== HEADER) assert.ok(after.get(p)!.equals(b), `${p} untouched`);
    const was = before.get(HEADER)!.toString('utf8');
    const now = after.get(HEADER)!.toString('utf8');
    assert.match(now, /memfix\(free-disk-buffer\)/);
    assert.doesNotMatch(now, /memfix\((copy-on-read|guarded-global|storage-generation)\)/, 'no other fix left its mark');
    assert.equal(fnText(now, 'void async_read('), fnText(was, 'void async_read('), 'async_read (copy-on-read, storage-generation) untouched');
    assert.equal(fnText(now, 'void async_hash('), fnText(was, 'void async_hash('), 'async_hash (storage-generation) untouched');
    assert.match(now, /const_cast<char\*>/, 'the unsafe read is still there');
  });

  for (const [name, dir] of [['early (libtorrent-go root layout)', EARLY], ['head', HEAD]] as const) {
    test(`the ${name} shape: apply --yes, then scan reports every fix applied`, async () => {
      const d = copy(dir);
      const a = await memfix(['apply', d, '--yes']);
      assert.equal(a.code, 0, show(a));
      assert.match(a.stdout, /wrote [1-9]\d* file\(s\)/, show(a));
      const s = await memfix(['scan', d]);
      assert.equal(s.code, 0, show(s));
      assertAll(s.stdout, 'applied', `scan of ${name} after apply`);
    });
  }

  test('CRLF + BOM: apply --yes keeps CRLF on every line and the BOM; result = LF result with \\r\\n', async () => {
    const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
    const files = [HEADER, DISK_I, SESSION_I];
    const lf = copy(SAMPLE);
    const cr = copy(SAMPLE);
    for (const f of files) {
      const b = readFileSync(join(cr, f));
      assert.ok(!b.includes(0x0d) && !b.subarray(0, 3).equals(BOM), `${f}: the sample is LF without BOM`);
      writeFileSync(join(cr, f), Buffer.concat([BOM, Buffer.from(b.toString('utf8').replace(/\n/g, '\r\n'), 'utf8')]));
    }
    const [rl, rc] = await Promise.all([memfix(['apply', lf, '--yes']), memfix(['apply', cr, '--yes'])]);
    assert.equal(rl.code, 0, show(rl));
    assert.equal(rc.code, 0, show(rc));
    const wrote = (r: typeof rl) => /wrote \d+ file\(s\): .*/.exec(r.stdout)?.[0];
    assert.ok(wrote(rc), show(rc));
    assert.equal(wrote(rc), wrote(rl), `the CRLF tree gets the same fixes\n${show(rc)}`);
    for (const f of files) {
      const got = readFileSync(join(cr, f));
      assert.ok(got.subarray(0, 3).equals(BOM), `${f}: BOM kept`);
      assert.equal(got.indexOf(BOM, 3), -1, `${f}: exactly one BOM`);
      const text = got.toString('utf8');
      const lone = [...text.matchAll(/(?<!\r)\n/g)].map((m) => text.slice(0, m.index).split('\n').length);
      assert.deepEqual(lone, [], `${f}: lines ending in a lone \\n (line numbers)`);
      assert.doesNotMatch(text, /\r(?!\n)/, `${f}: lone \\r`);
      const want = Buffer.concat([BOM, Buffer.from(read(lf, f).replace(/\n/g, '\r\n'), 'utf8')]);
      assertSameTree(new Map([[f, got]]), new Map([[f, want]]), 'CRLF result vs LF result with \\r\\n');
    }
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout.includes('util-linux');
  test('interactive apply under a pty: y to upstream-build, n to free-disk-buffer, a to the rest', { skip: hasScript ? false : 'util-linux script(1) is not installed' }, async () => {
    const d = copy(SAMPLE);
    const before = snapshot(d);
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} apply ${JSON.stringify(d)}`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: baseEnv({ TERM: 'xterm', COLUMNS: '200', LINES: '50' }), stdio: ['pipe', 'pipe', 'pipe'] });
    const answers: [RegExp, string][] = [[/Apply upstream-build\?/, 'y'], [/Apply free-disk-buffer\?/, 'n'], [/Apply guarded-global\?/, 'a']];
    const asked: string[] = [];
    let all = '';
    let pending = '';
    // the prompt redraws its question on every keystroke: answer each question once, on its first appearance
    child.stdout.on('data', (chunk: Buffer) => {
      all += chunk.toString('utf8');
      pending += chunk.toString('utf8');
      for (const q of pending.matchAll(/Apply ([a-z0-9-]+)\?/g)) {
        if (asked.includes(q[1]!)) continue;
        asked.push(q[1]!);
        const a = answers.find(([re]) => re.test(q[0]));
        child.stdin.write((a ? a[1] : 'q') + '\r'); // an unexpected question: abort, write nothing
      }
      pending = pending.slice(-200);
    });
    const code = await new Promise<number | null>((res) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
      child.on('close', (c) => { clearTimeout(timer); res(c); });
    });
    child.stdin.destroy();
    // eslint-disable-next-line no-control-regex
    // a fix's line wrapped onto indented continuation lines, joined again
    const plain = all.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '').replace(/\n {10,}/g, ' ');
    assert.deepEqual(asked, ['upstream-build', 'free-disk-buffer', 'guarded-global'], `questions asked (copy-on-read and storage-generation are blocked)\n${plain}`);
    assert.match(plain, /^\s+apply\s+free-disk-buffer\s.*→ skipped/m, plain);
    assert.match(plain, /^\s+blocked\s+copy-on-read\s+needs free-disk-buffer/m, plain);
    assert.match(plain, /^\s+apply\s+guarded-global\s.*→ applied/m, plain);
    assert.match(plain, /^\s+blocked\s+storage-generation\s/m, plain);
    assert.equal(code, 1, `blocked fixes make the exit 1\n${plain}`);
    const after = snapshot(d);
    const header = after.get(HEADER)!.toString('utf8');
    assert.match(header, /memfix\(guarded-global\)/, 'guarded-global applied to the header');
    assert.match(after.get(DISK_I)!.toString('utf8'), /memfix\(guarded-global\)/, 'guarded-global applied to disk_interface.i');
    assert.doesNotMatch(header, /memfix\((free-disk-buffer|copy-on-read|storage-generation)\)/, 'only guarded-global was applied');
    assert.equal(fnText(header, 'void async_read('), fnText(before.get(HEADER)!.toString('utf8'), 'void async_read('), 'async_read untouched');
  });

  /** Run memfix under a pseudo-terminal (util-linux script), answering each question `Apply X?` with `answer(X, n)`. */
  async function underPty(args: string[], answer: (id: string, times: number) => string | null, env: Record<string, string> = {}): Promise<{ code: number | null; plain: string }> {
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${args.map((a) => JSON.stringify(a)).join(' ')}`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: baseEnv({ TERM: 'xterm', COLUMNS: '200', LINES: '50', ...env }), stdio: ['pipe', 'pipe', 'pipe'] });
    let all = '';
    let seen = 0;
    const asked = new Map<string, number>();
    child.stdout.on('data', (chunk: Buffer) => {
      all += chunk.toString('utf8');
      // a new question is one more "Apply X?" than before (the prompt redraws on every keystroke: answer once per appearance in the plain text)
      const plain = all.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      const qs = [...plain.matchAll(/Apply ([a-z0-9-]+)\? \[/g)];
      for (const q of qs.slice(seen)) {
        const t = (asked.get(q[1]!) ?? 0) + 1;
        asked.set(q[1]!, t);
        const a = answer(q[1]!, t);
        if (a !== null) child.stdin.write(a);
      }
      seen = qs.length;
    });
    const code = await new Promise<number | null>((res) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('close', (c) => { clearTimeout(timer); res(c); });
    });
    child.stdin.destroy();
    return { code, plain: all.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '') };
  }

  test('one key answers, without Enter; Enter alone is not yes: it says which keys there are', { skip: hasScript ? false : 'util-linux script(1) is not installed' }, async () => {
    const d = copy(SAMPLE);
    const before = snapshot(d);
    // free-disk-buffer: Enter alone (nothing), then q; no key is followed by Enter
    const r = await underPty(['apply', d], (_id, times) => (times === 1 ? '\r' : 'q'));
    assert.equal(r.code, 1, r.plain);
    assert.match(r.plain, /press one key: y, n, d, a, s, q/, r.plain);
    assert.match(r.plain, /aborted: nothing written/, r.plain);
    assertSameTree(snapshot(d), before, 'Enter alone applies nothing');
    // y alone applies at once; n on a fix others need says at once which it blocks
    const e = copy(SAMPLE);
    const ids = IDS;
    const r2 = await underPty(['apply', e], (id) => (id === ids[0] ? 'n' : 'y'));
    const dependents = loadCodemodInfo().filter((c) => c.meta.dependsOn.includes(ids[0]!)).map((c) => c.meta.id);
    if (dependents.length) {
      const said = r2.plain.split('\n').findIndex((l) => new RegExp(`^skipped ${ids[0]}: .*(need|needs) it and (is|are) blocked`).test(l));
      assert.ok(said >= 0, r2.plain);
      for (const dep of dependents) assert.ok(r2.plain.split('\n')[said]!.includes(dep), `names ${dep}`);
      const nextQuestion = r2.plain.split('\n').findIndex((l, i) => i > said && /Apply [a-z-]+\? \[/.test(l));
      assert.ok(nextQuestion < 0 || nextQuestion > said, 'said before the next question');
    }
    assert.match(r2.plain, new RegExp(`^\\s+apply\\s+${ids[1]}\\s.*→ applied|^\\s+blocked\\s+${ids[1]}\\s`, 'm'), r2.plain);
  });

  test('Ctrl-C at the prompt: exit 130, nothing written', { skip: hasScript ? false : 'util-linux script(1) is not installed' }, async () => {
    const d = copy(SAMPLE);
    const before = snapshot(d);
    const r = await underPty(['apply', d], () => '\x03');
    assert.equal(r.code, 130, r.plain);
    assert.match(r.plain, /memfix: aborted, nothing written/, r.plain);
    assertSameTree(snapshot(d), before, 'Ctrl-C at the prompt');
    assert.ok(!existsSync(join(d, '.memfix')), 'the lock is released');
  });

  test('d shows the whole-file diff through $PAGER; then q aborts', { skip: hasScript ? false : 'util-linux script(1) is not installed' }, async () => {
    const d = copy(SAMPLE);
    const paged = join(tmp.root, `paged-${n}`);
    const r = await underPty(['apply', d], (id, times) => (id === 'upstream-build' ? (times === 1 ? 'y\r' : null) : times === 1 ? 'd\r' : 'q\r'), { PAGER: `cat > ${JSON.stringify(paged)}` });
    assert.equal(r.code, 1, r.plain);
    const text = readFileSync(paged, 'utf8');
    const lines = readFileSync(join(d, HEADER), 'utf8').split('\n');
    // a whole-file diff shows every line of the header, the first and the last included
    assert.ok(text.includes(` ${lines[0]}`) && text.includes(` ${lines.at(-2)}`), `the pager got the whole file\n${text.slice(0, 400)}`);
    assert.match(text, /^\+.*memfix\(free-disk-buffer\)/m, 'with the fix in it');
  });
});

