/**
 * What a codemod is. Each one is a folder under codemods/: meta.json (machine-read metadata),
 * one or more .scm queries, transform.ts (returns a Result, does no I/O) and scenarios/.
 * The engine loads them by folder; it never imports a particular codemod.
 */
import type Parser from 'tree-sitter';
import type { Edit } from './edits.ts';
import type { SourceFile } from './source.ts';
import { lineOf } from './text.ts';

/** The three files a fix can touch, recognised by their syntax (see roles.ts). */
export type Role = 'header' | 'disk-interface' | 'session';
export const ROLES: Role[] = ['header', 'disk-interface', 'session'];

export interface Meta {
  id: string;
  title: string;
  /**
   * The memory-safety analysis' fix number and the issues it names; for a bug found beyond the
   * analysis (by memfix's own harness, say), `fix` is null and `finding` says where it was found.
   */
  analysis: { fix: number; issues: string[]; finding?: undefined } | { fix: null; issues: string[]; finding: string };
  /** one paragraph: the bug */
  why: string;
  /** one paragraph: what the fix does */
  what: string;
  dependsOn: string[];
  /**
   * Comes before every other fix in the series (dependencies still come before their dependents):
   * for a fix that makes upstream's own code build, so that every prefix of the series compiles.
   */
  first?: boolean;
  /** roles the fix needs; a fix reports missing when one is absent */
  targets: Role[];
  commit: { subject: string; body: string };
}

export interface Loc { file: string; line: number }

export type Result =
  | { status: 'apply'; edits: Edit[]; at: Loc[]; notes: string[] }
  | { status: 'applied'; at: Loc[]; notes?: string[] }
  | { status: 'drift'; at: Loc; expected: string }
  | { status: 'missing'; reason: string };

export interface Context {
  /** the target files, by role (absent roles are undefined) */
  files: Partial<Record<Role, SourceFile>>;
  /** the class that implements disk_interface in the header (name from the matched code) */
  className?: string;
  /** the codemod's own queries (its .scm files), by file name without extension */
  query(name: string): Parser.Query;
  /**
   * Every C, C++ and SWIG file of the target group (role files included) whose text contains
   * `name`, parsed: for a fix that must follow a name wherever it is used (a variable the header
   * defines and SWIG files outside the three roles assign, say). A transform may edit them.
   */
  filesNaming?(name: string): SourceFile[];
}

export type Transform = (ctx: Context) => Result;

/**
 * A mutant undoes a fix in one place, on a tree where every fix is applied: `memfix verify
 * --mutants` builds each one and expects at least one scenario to fail ("killed"). A codemod's
 * optional mutants.ts exports `mutants(ctx): Mutant[]`, found by structure like a transform
 * (ctx holds the fixed files), with no I/O.
 */
export interface Mutant {
  /** short slug, unique within the codemod (e.g. `free-releases-nothing`) */
  id: string;
  /** one line: what the mutant undoes */
  description: string;
  edits: Edit[];
}

export type MutantsOf = (ctx: Context) => Mutant[];

export interface Codemod {
  meta: Meta;
  dir: string;
  queries: Record<string, string>;
  transform: Transform;
}

/** Helpers for transforms. */
export const loc = (src: SourceFile, index: number): Loc => ({ file: src.path, line: lineOf(src.text, index) });

export const drift = (src: SourceFile, index: number, expected: string): Result => ({ status: 'drift', at: loc(src, index), expected });
