/**
 * How a vCPU in a full exit waits for the reset that gives it room: read the resume bell,
 * look at the ring again, then spin on the bell, then sleep on it. The order is the point: a
 * reset that lands after the vCPU last looked at its ring and rings before the bell is read
 * must be seen by the second look, or the vCPU waits for a bell that has already rung (the
 * collector rings only after a reset that freed something, and had nothing left to free)
 * until its nap ends.
 */
export interface ResetWait {
  /** The vCPU's resume bell: a counter the collector bumps after every reset. */
  bell(): number;
  /** The ring is still at its soft limit. */
  full(): boolean;
  /** Something else needs the vCPU (the run state's epoch moved): stop waiting. */
  called(): boolean;
  now(): number;
  /** Sleep until the bell differs from `seen` or a nap passes. */
  sleep(seen: number): void;
}

/** Wait for room; returns once there may be some (the caller looks at the ring again). */
export function awaitReset(w: ResetWait, spinMs: number): void {
  const seen = w.bell();
  if (!w.full()) return;
  const spinUntil = w.now() + spinMs;
  for (let i = 0; w.bell() === seen && !w.called(); i++) {
    // A reset often lands within microseconds, and a futex wake-up costs tens of them.
    if ((i & 255) === 255 && w.now() > spinUntil) return w.sleep(seen);
  }
}
