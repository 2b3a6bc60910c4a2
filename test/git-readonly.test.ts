/**
 * git is asked read-only questions about the folder memfix was given (issue 21, item 7): no
 * command rewrites `.git/index` (every git process runs with --no-optional-locks), and the
 * variables that point git at a repository (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, as a git
 * hook sets them) are ignored: series names DIR's HEAD as its base and writes paths from DIR's
 * repository top.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEADER, SAMPLE, copyTree, gitInit, memfix, run, show, tempRoot } from './e2e-helpers.ts';
import { gitEnv, REPO_ENV_VARS } from '../src/git.ts';

const tmp = tempRoot('memfix-git-readonly-');
after(() => tmp.cleanup());
const SERIES = ['--author', 'T <t@example.com>', '--date', '2026-01-01T00:00:00Z'];

/** A repository holding the sample in `sub/` (so DIR is not the top), committed; returns the repository and HEAD. */
async function repoWithSample(name: string): Promise<{ top: string; dir: string; sha: string }> {
  const top = tmp.dir(name);
  const dir = copyTree(SAMPLE, join(top, 'sub'));
  return { top, dir, sha: await gitInit(top) };
}

describe('git is asked, never written to', { concurrency: 2, timeout: 300_000 }, () => {
  test('series, scan, check and apply --dry-run on a dirty repository leave .git/index as it was', async () => {
    const { top, dir } = await repoWithSample('dirty');
    // dirty: one fix applied to the header, and another tracked file with a new mtime but the
    // same content, which `git status` would refresh in the index (rewriting it) if it could
    const a = await memfix(['apply', dir, '--fix', 'free-disk-buffer', '--yes']);
    assert.equal(a.code, 0, show(a));
    const other = join(dir, 'upgrade_2.0.x/libtorrent-go/interfaces/session.i');
    utimesSync(other, new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'));
    writeFileSync(join(top, 'untracked.txt'), 'new\n');
    const index = join(top, '.git', 'index');
    const before = { bytes: readFileSync(index), mtimeMs: statSync(index).mtimeMs, ino: statSync(index).ino };

    const out = join(tmp.root, 'dirty-patches');
    const s = await memfix(['series', dir, '-o', out, ...SERIES]);
    assert.equal(s.code, 0, show(s));
    for (const args of [['scan', dir, '--format', 'json'], ['check', dir, '--patches', out], ['apply', dir, '--dry-run'], ['list']]) {
      const r = await memfix(args);
      assert.ok(r.code === 0 || r.code === 1, show(r));
    }
    const now = statSync(index);
    assert.ok(readFileSync(index).equals(before.bytes), '.git/index content changed');
    assert.equal(now.mtimeMs, before.mtimeMs, '.git/index was rewritten (mtime)');
    assert.equal(now.ino, before.ino, '.git/index was replaced');
    // and git itself would have rewritten it: the test can fail
    const g = await run('git', ['status', '--porcelain'], { cwd: top });
    assert.equal(g.code, 0, show(g));
    assert.notEqual(statSync(index).mtimeMs, before.mtimeMs, 'plain git status refreshes the index (the check above is meaningful)');
  });

  test('GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE of another repository are ignored: base-commit and paths are DIR\'s', async () => {
    const mine = await repoWithSample('mine');
    const other = tmp.dir('other');
    writeFileSync(join(other, 'README'), 'another repository\n');
    mkdirSync(join(other, 'deep', 'er'), { recursive: true });
    writeFileSync(join(other, 'deep', 'er', 'x.txt'), 'x\n');
    const otherSha = await gitInit(other);
    assert.notEqual(otherSha, mine.sha);
    const env = { GIT_DIR: join(other, '.git'), GIT_WORK_TREE: other, GIT_INDEX_FILE: join(other, '.git', 'index'), GIT_PREFIX: 'deep/er/' };

    const out = join(tmp.root, 'env-patches');
    const s = await memfix(['series', mine.dir, '-o', out, ...SERIES], { env });
    assert.equal(s.code, 0, show(s));
    const cover = readFileSync(join(out, '0000-cover-letter.patch'), 'utf8');
    assert.match(cover, new RegExp(`^base-commit: ${mine.sha}$`, 'm'), `base-commit is DIR's HEAD\n${cover}`);
    const first = readFileSync(join(out, readdirSync(out).find((f) => f.startsWith('0001-'))!), 'utf8');
    assert.match(first, new RegExp(`^diff --git a/sub/${HEADER.replace(/\./g, '\\.')} b/sub/${HEADER.replace(/\./g, '\\.')}$`, 'm'), `paths from DIR's repository top\n${first}`);

    const scan = await memfix(['scan', mine.dir, '--format', 'json'], { env });
    assert.equal(JSON.parse(scan.stdout).prefix, 'sub/', show(scan));
    const c = await memfix(['check', mine.dir, '--patches', out], { env });
    assert.equal(c.code, 0, show(c));
  });

  test('gitEnv drops exactly git\'s repository-local variables and turns optional locks off', () => {
    const env = gitEnv({ PATH: '/bin', HOME: '/h', GIT_DIR: '/x', GIT_WORK_TREE: '/y', GIT_INDEX_FILE: '/z', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.hooksPath', GIT_CONFIG_VALUE_0: '/evil', GIT_AUTHOR_NAME: 'A', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CEILING_DIRECTORIES: '/c' });
    assert.deepEqual(env, { PATH: '/bin', HOME: '/h', GIT_AUTHOR_NAME: 'A', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CEILING_DIRECTORIES: '/c', GIT_OPTIONAL_LOCKS: '0' });
  });

  test('REPO_ENV_VARS is git\'s own list (git rev-parse --local-env-vars)', async () => {
    const r = await run('git', ['rev-parse', '--local-env-vars']);
    assert.equal(r.code, 0, show(r));
    assert.deepEqual([...REPO_ENV_VARS].sort(), r.stdout.trim().split('\n').sort());
  });
});
