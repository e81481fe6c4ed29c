import { expect, it } from 'vitest';
import { VmGenIdDevice, VmGenIdDriver } from '../../../src/vmstate/index.ts';

it('the guest driver reseeds once per new ID and drops notifications that change nothing', () => {
  const device = new VmGenIdDevice();
  const forks: Uint8Array[] = [];
  const driver = new VmGenIdDriver(device, (id) => forks.push(id));
  // Live migration: QEMU still rewrites the same GUID and raises the notify.
  device.applyEvent('live-migration');
  expect(device.resume()).toBe(true);
  expect(driver.notify(device).kind).toBe('duplicate');
  device.stop();
  device.applyEvent('clone');
  device.resume();
  expect(driver.notify(device).kind).toBe('vmfork');
  expect(driver.notify(device).kind).toBe('duplicate');
  expect(forks).toEqual([device.readId()]);
});
