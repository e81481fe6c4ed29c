/**
 * Start the project's worker threads. Built, the entries are .js files next to this module;
 * from source (tests, tsx) they are .ts files started through a tiny tsx shim.
 */
import { Worker } from 'node:worker_threads';

const FROM_SOURCE = import.meta.url.endsWith('.ts');

export type WorkerEntry = 'vcpu/vcpu-worker' | 'vcpu/kvm-vcpu-worker' | 'vmm/collector-worker' | 'experiments/sync-cost-worker';

/**
 * A heap limit per worker: a worker that runs out fails with ERR_WORKER_OUT_OF_MEMORY, which
 * the run reports with the thread's name, instead of taking the whole process down. Guest
 * memory lives in the shared arena, outside every heap.
 */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 512 };

export function spawnWorker(entry: WorkerEntry, workerData: object, name: string): Worker {
  const url = new URL(`../${entry}${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);
  if (!FROM_SOURCE) return new Worker(url, { workerData, name, resourceLimits: RESOURCE_LIMITS });
  return new Worker(new URL('./ts-worker-shim.mjs', import.meta.url), { workerData: { ...workerData, __entry: url.href }, name, resourceLimits: RESOURCE_LIMITS });
}
