/** The StateStore contract on the embedded store: a real SQLite file per test, shared with a second process. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stateStoreContract } from '../support/state-contract';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-sqlite-'));
let n = 0;
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

stateStoreContract('embedded SQLite', {
  fresh: () => ({ kind: 'sqlite', file: path.join(root, `t${++n}`, 'state.sqlite') }),
  // A path under a regular file: the folder can never be created.
  unreachable: () => {
    const blocker = path.join(root, `blocker${++n}`);
    fs.writeFileSync(blocker, 'not a folder');
    return { kind: 'sqlite', file: path.join(blocker, 'state.sqlite') };
  },
});
