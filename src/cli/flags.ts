/** Flags as every command reads them: node:util's parseArgs, with its errors turned into usage errors that name the flag. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest, quote } from '../validate.ts';
import { UsageError } from './command.ts';

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;
export type Flags<O extends FlagSpec> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/** Parses `argv` strictly; an unknown flag or a missing value is a UsageError naming the flag (exit 2). */
export function parseFlags<const O extends FlagSpec>(command: string, argv: readonly string[], options: O): Flags<O> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(command, err, Object.keys(options));
  }
}

function usageError(command: string, err: unknown, known: readonly string[]): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const token = /^Unknown option '([\s\S]*?)'\. To specify/.exec(message)?.[1] ?? '';
    const name = token.replace(/^-+/, '').replace(/=.*$/, '');
    const near = (name.length >= 3 ? known.find((k) => k.startsWith(name)) : undefined) ?? closest(name, known);
    // The same words as parseArgs, so the flag reads as it was typed; the hint replaces its note on positionals.
    return new UsageError(`Unknown option '${shown(token)}': ${near ? `did you mean --${near}?` : `see dirtylog ${command} --help`}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = shown(/^Option '(-[^' ]*)/.exec(message)?.[1] ?? '');
    if (message.includes('does not take an argument')) return new UsageError(`${flag} takes no value`);
    if (message.includes('ambiguous')) return new UsageError(`${flag} needs a value; for one that starts with '-', write ${flag}=VALUE`);
    return new UsageError(`${flag} needs a value: see dirtylog ${command} --help`);
  }
  return err;
}

/** A flag as typed, unless it could carry newlines or terminal escapes into the message. */
function shown(token: string): string {
  return /^-{1,2}[\w-]{1,40}$/.test(token) ? token : quote(token);
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** A decimal number, or a UsageError naming the flag. Number() alone would take '', '0x10' and ' '. */
export function numberFlag(flag: string, text: string): number {
  if (!DECIMAL.test(text)) throw new UsageError(`${flag} must be a number, got ${quote(text)}`);
  return Number(text);
}

/** Rejects positional arguments a command does not take. */
export function noPositionals(command: string, positionals: readonly string[]): void {
  if (positionals.length) throw new UsageError(`unexpected argument ${quote(positionals[0]!)}: see dirtylog ${command} --help`);
}
