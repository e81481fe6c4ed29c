import { describe, expect, it } from 'vitest';
import { VmGenIdDevice, type VmLifecycleEvent } from '../../../src/vmstate/index.ts';

const KEEP: VmLifecycleEvent[] = ['live-migration', 'pause-resume', 'guest-reboot', 'host-reboot', 'cluster-failover'];
const CHANGE: VmLifecycleEvent[] = ['snapshot-start', 'backup-restore', 'dr-failover', 'clone', 'import', 'copy'];

describe('VMGenID across lifecycle events (invariant 8)', () => {
  it.each(KEEP)('%s keeps the 16-byte ID', (event) => {
    const device = new VmGenIdDevice();
    const before = device.readId();
    expect(device.applyEvent(event).kind).toBe('unchanged');
    expect(device.readId()).toEqual(before);
  });

  it.each(CHANGE)('%s writes a new ID and bumps the generation', (event) => {
    const device = new VmGenIdDevice();
    const before = device.readId();
    const out = device.applyEvent(event);
    expect(out.kind).toBe('changed');
    expect(device.readId()).not.toEqual(before);
    expect(device.generation()).toBe(1);
  });
});
