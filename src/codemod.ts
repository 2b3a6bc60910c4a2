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
  /** the memory-safety analysis' fix number and the issue numbers it names */
  analysis: { fix: number; issues: string[] };
  /** one paragraph: the bug */
  why: string;
  /** one paragraph: what the fix does */
  what: string;
  dependsOn: string[];
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
}

export type Transform = (ctx: Context) => Result;

export interface Codemod {
  meta: Meta;
  dir: string;
  queries: Record<string, string>;
  transform: Transform;
}

/** Helpers for transforms. */
export const loc = (src: SourceFile, index: number): Loc => ({ file: src.path, line: lineOf(src.text, index) });

export const drift = (src: SourceFile, index: number, expected: string): Result => ({ status: 'drift', at: loc(src, index), expected });
