import { MemfixError } from '../errors.ts';
export async function verify(..._a: unknown[]): Promise<void> { throw new MemfixError('verify: not built yet'); }
