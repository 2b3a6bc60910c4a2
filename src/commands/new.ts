import { MemfixError } from '../errors.ts';
export async function scaffold(..._a: unknown[]): Promise<void> { throw new MemfixError('new: not built yet'); }
