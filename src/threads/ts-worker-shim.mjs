// Dev and tests only: Node 20 cannot load a .ts worker entry. The test run compiles the
// sources once (test/support/compile-workers.ts) and names the compiled dist/ here, so a worker
// starts in a tenth of the time; otherwise tsx compiles the entry in this thread.
// The built package starts its .js entries directly and never loads this file.
import { workerData } from 'node:worker_threads';

const compiled = process.env.DIRTYLOG_COMPILED_WORKERS;
const entry = new URL(workerData.__entry);
if (compiled) {
  const fromSrc = entry.pathname.slice(entry.pathname.lastIndexOf('/src/') + '/src/'.length).replace(/\.ts$/, '.js');
  await import(new URL(fromSrc, compiled).href);
} else {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport(entry.href, import.meta.url);
}
