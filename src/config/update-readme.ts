/** `npm run docs:config`: rewrites the README's configuration table from the schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigReference } from './reference.ts';

const file = new URL('../../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const start = '<!-- config:start -->';
const end = '<!-- config:end -->';
const a = readme.indexOf(start);
const b = readme.indexOf(end);
if (a < 0 || b < a) throw new Error('README.md lacks the config markers');
writeFileSync(file, `${readme.slice(0, a + start.length)}\n${renderConfigReference()}\n${readme.slice(b)}`);
