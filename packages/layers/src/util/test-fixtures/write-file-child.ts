/** Fixture run in a child process by file-cache.test.ts: `<path> <text>` replaces the file the way the stores do. */
import { writeFileAtomic } from '../atomic';

const [path, text] = process.argv.slice(2);
if (path === undefined || text === undefined) throw new Error('usage: path text');
await writeFileAtomic(path, text);
