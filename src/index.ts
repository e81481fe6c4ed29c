export { ABI, planArena } from './layout.ts';
export * from './vm/index.ts';
