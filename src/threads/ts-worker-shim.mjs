// Dev and tests only: Node 20 cannot load a .ts worker entry, so load it through tsx.
// The built package starts its .js entries directly and never loads this file.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.__entry, import.meta.url);
