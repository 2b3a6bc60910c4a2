/**
 * apply on a tree where a selected fix drifts writes only what the other fixes fully own: no fix
 * writes a file where a selected fix reports drift (src/engine.ts heldBack), the fixes whose
 * edits are all in other files are written. Runs the bin: `npm run build` first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { heldBack, plan } from '../src/engine.ts';
import { loadCodemods } from '../src/registry.ts';
import { readTree } from '../src/workspace.ts';
import { copyTree, DISK_I, HEADER, memfix, SAMPLE, show, snapshot, tempRoot } from './e2e-helpers.ts';
import { repoRoot } from './scenario-lib.ts';

const mods = await loadCodemods();

test('heldBack: a fix with an edit in a file where another selected fix drifts is held; one that edits other files is not', async () => {
  const tree = readTree(join(repoRoot, 'fixtures/shapes/custom-storage'));
  const { steps } = await plan(tree, mods);
  const outcome = (id: string) => steps.find((s) => s.codemod.meta.id === id)!.outcome.status;
  assert.equal(outcome('free-disk-buffer'), 'apply');
  assert.equal(outcome('copy-on-read'), 'drift');
  const held = heldBack(steps);
  assert.deepEqual([...held.keys()].map((k) => k.split('\0')[1]), ['free-disk-buffer', 'atomic-state']);
  assert.match(held.values().next().value!, /^copy-on-read drifts at scratch_disk_io\.hpp:\d+$/);
  // a drift of a fix that is not selected does not count
  assert.equal(heldBack(steps, new Set(['free-disk-buffer'])).size, 0);
});

test('apply --yes on the custom storage example, where copy-on-read and release-accounting drift in its header, writes nothing', async () => {
  const t = tempRoot('memfix-apply-drift-');
  try {
    const dir = copyTree(join(repoRoot, 'fixtures/shapes/custom-storage'), t.dir('cs'));
    const before = snapshot(dir);
    const r = await memfix(['apply', dir, '--yes']);
    assert.equal(r.code, 1, show(r));
    assert.deepEqual(snapshot(dir), before, 'a file where a fix drifts was written');
    assert.match(r.stdout, /free-disk-buffer.*not written: copy-on-read drifts at scratch_disk_io\.hpp:\d+/, show(r));
    assert.match(r.stdout, /atomic-state.*not written: copy-on-read drifts at scratch_disk_io\.hpp:\d+/, show(r));
    // copy-on-read is blocked now (free-disk-buffer is held back), and still says where it drifts
    assert.match(r.stdout, /blocked\s+copy-on-read\s.*its own target drifts too: scratch_disk_io\.hpp:\d+/, show(r));
    assert.match(r.stdout, /nothing to change/, show(r));
  } finally {
    t.cleanup();
  }
});

test('apply --yes on the sample with guarded-global drifting in disk_interface.i: the header is written, disk_interface.i is not', async () => {
  const t = tempRoot('memfix-apply-drift-');
  try {
    const dir = copyTree(SAMPLE, t.dir('sample'));
    const di = join(dir, DISK_I);
    // a setter that keeps the first instance: a shape guarded-global does not know
    writeFileSync(di, readFileSync(di, 'utf8').replace(/(\n\s*)g_memory_disk_io = dio;/, '$1if (g_memory_disk_io == nullptr) // keep the first one$1    g_memory_disk_io = dio;'));
    const diBefore = readFileSync(di, 'utf8');
    const headerBefore = readFileSync(join(dir, HEADER), 'utf8');
    const r = await memfix(['apply', dir, '--yes']);
    assert.equal(r.code, 1, show(r));
    // a fix's line wrapped onto indented continuation lines (the output's width), joined again
    r.stdout = r.stdout.replace(/\n {4,}/g, ' ');
    assert.match(r.stdout, /drift\s+guarded-global\s+\S*disk_interface\.i:\d+/, show(r));
    assert.equal(readFileSync(di, 'utf8'), diBefore, 'disk_interface.i, where guarded-global drifts, was written');
    assert.notEqual(readFileSync(join(dir, HEADER), 'utf8'), headerBefore, 'the header, where no fix drifts, was not written');
    // upstream-build edits disk_interface.i too: held back, with the reason
    assert.match(r.stdout, /upstream-build.*not written: guarded-global drifts at \S*disk_interface\.i:\d+/, show(r));
    assert.match(r.stdout, /free-disk-buffer.*→ applied/, show(r));
  } finally {
    t.cleanup();
  }
});
