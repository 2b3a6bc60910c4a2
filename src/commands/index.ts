/**
 * The commands that run the engine, as one module: the command line loads this one file for any
 * of them (npm run build bundles it with the engine and every codemod's modules: see build.mjs).
 * `list` and `new` stay apart: list loads no parser, new loads ts-morph.
 */
export { scan } from './scan.ts';
export { apply } from './apply.ts';
export { series } from './series.ts';
export { check } from './check.ts';
export { verify } from './verify.ts';
