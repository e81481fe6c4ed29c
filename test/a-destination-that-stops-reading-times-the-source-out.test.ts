/**
 * No wait is unbounded: a destination that accepts the setup and then, alive, stops reading
 * (a hung process, a stalled link) fills the socket; the source's write waits at most
 * `timeouts.replyMs`, then fails naming the stall, the phase and the byte offset, and its
 * guest runs on. Without the bound this migration would wait for ever.
 */
import { createServer, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { migrate, startVm } from '../src/index.ts';
import { encodeJson, preamble, RECORD } from '../src/migration/stream.ts';

it('fails with a timeout naming the stall, and the guest runs on at the source', async () => {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.write(preamble());
    socket.write(encodeJson(RECORD.ACCEPT, 0, {}));
    socket.pause(); // alive, reading nothing from here on
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const vm = await startVm({ strategy: 'bitmap', memory: '64MiB', vcpus: 1, pattern: 'sequential', writeRate: 1000 });
  try {
    const r = await migrate({ vm, to: { port }, timeouts: { replyMs: 500 } }).result;
    expect(r).toMatchObject({ kind: 'failed', cause: 'timeout', phase: 'rounds', guestRunsOn: 'source' });
    if (r.kind !== 'failed') throw new Error('unreachable');
    expect(r.reason).toMatch(/^the destination took no bytes for 500 ms while this side was writing \(\d+ bytes waiting\)$/);
    expect(r.bytesSent).toBeGreaterThan(4 * 2 ** 20);
    expect(r.bytesSent).toBeLessThan(64 * 2 ** 20);
    expect(vm.paused).toBe(false);
  } finally {
    await vm.stop();
    for (const s of sockets) s.destroy();
    server.close();
  }
}, 30_000);
