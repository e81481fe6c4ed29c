import { UsageError, type Command } from './command.ts';

export const main: Command = async () => {
  throw new UsageError('bench: not built yet');
};
