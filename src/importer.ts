/**
 * import(), as the engine uses it (the prompt library, a codemod's module built after the bundle).
 *
 * The built engine runs as a script with V8's code cache (build.mjs, build/engine-loader.cjs), and
 * node 20 drops a script's import() callback when the script comes from a code cache ("A dynamic
 * import callback was not specified"): the loader hands over its own import()
 * (useImporter), and the engine imports through it. Run as TypeScript (tests), import() is used
 * as it is.
 */
type Importer = (specifier: string) => Promise<unknown>;

let importer: Importer = (specifier) => import(specifier);

export function useImporter(fn: Importer): void {
  importer = fn;
}

export function importModule<T>(specifier: string): Promise<T> {
  return importer(specifier) as Promise<T>;
}
