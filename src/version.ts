/** memfix's own version, from its package.json. */
import { readFileSync } from 'node:fs';
import { dataPath } from './paths.ts';

export const version = (JSON.parse(readFileSync(dataPath('package.json'), 'utf8')) as { version: string }).version;
