/** The migration-state models: guest TSC/kvmclock, VMGenID, Arm PSCI firmware registers, AMD SEV page status. */
export * from './u64.ts';
export * from './clock/tsc.ts';
export * from './clock/kvmclock.ts';
export * from './clock/clocksource.ts';
export * from './clock/clock-protocols.ts';
export * from './clock/clock-migration.ts';
export * from './clock/clock-scenario.ts';
export * from './vmgenid/vmgenid.ts';
export * from './vmgenid/vmgenid-race.ts';
export * from './psci/psci.ts';
export * from './psci/psci-vm.ts';
export * from './psci/psci-migration.ts';
export * from './sev/sev.ts';
export * from './sev/sev-scenarios.ts';
