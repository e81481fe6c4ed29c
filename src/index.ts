export { ABI, planArena } from './layout.ts';
