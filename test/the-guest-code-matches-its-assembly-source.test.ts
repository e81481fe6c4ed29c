/**
 * The kvm backend's guest code (src/backend/kvm/guest-code.generated.ts) is guest.S assembled
 * with guest.ts's offsets; a stale copy fails here (run `npm run gen:guest`). Needs binutils.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { GENERATED_PATH, renderGuestCode, TOOLS } from '../scripts/gen-guest.ts';

const missing = TOOLS.find((tool) => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});

it.skipIf(missing !== undefined)(`the committed guest code equals a fresh assembly of guest.S${missing ? ` (skipped: ${missing} is not installed; apt-get install binutils)` : ''}`, () => {
  expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(renderGuestCode());
});
