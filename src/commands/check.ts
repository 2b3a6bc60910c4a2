import { MemfixError } from '../errors.ts';
export async function check(..._a: unknown[]): Promise<void> { throw new MemfixError('check: not built yet'); }
