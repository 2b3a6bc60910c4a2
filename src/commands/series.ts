import { MemfixError } from '../errors.ts';
export async function series(..._a: unknown[]): Promise<void> { throw new MemfixError('series: not built yet'); }
