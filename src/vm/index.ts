/** The migration-state models: guest TSC/kvmclock, VMGenID, Arm PSCI firmware registers, AMD SEV page status. */
export * from './u64.ts';
export * from './tsc.ts';
export * from './kvmclock.ts';
export * from './clocksource.ts';
export * from './clock-protocols.ts';
export * from './clock-migration.ts';
export * from './clock-scenario.ts';
export * from './vmgenid.ts';
export * from './vmgenid-race.ts';
export * from './psci.ts';
export * from './psci-vm.ts';
export * from './psci-migration.ts';
export * from './sev.ts';
export * from './sev-scenarios.ts';
