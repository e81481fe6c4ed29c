/** Live pre-copy migration over TCP: the source, the destination, the stream, the VM state. */
export { migrate, Migration, type MigrateOptions } from './source.ts';
export { listenForMigration, receiveMigration, type DestinationResult, type ListenOptions, type MigrationListener, type ReceiveOptions } from './destination.ts';
export type { FailureCause, MigrationEvent, MigrationPhase, MigrationResult, MigrationTotals, Proof, RoundStats } from './result.ts';
export type { AutoConvergeOptions } from './convergence.ts';
export { UNSAFE_MODELS, UNSAFE_WHAT, PSCI_HOSTS, CLOCK_PROTOCOLS, type UnsafeModel, type SourceStateOptions, type DestinationStateOptions, type StateOutcome } from './vm-state.ts';
export type { SevOptions } from './sev-guest.ts';
export { RECORD, STREAM_VERSION, StreamError, RecordReader, recordName, type StreamRecord } from './stream.ts';
