/**
 * A user's scenarios file is checked whole before anything runs, and a mistake names its
 * place in the file (scenarios[1].options.ringEntries), not a point number.
 */
import { expect, it } from 'vitest';
import { parseScenariosFile } from '../src/experiments/scenarios-file.ts';

const ok = { strategy: 'ring', memory: '16MiB', ringEntries: 1024, seconds: 2 };

it('reads name, summary, trials and scenarios; --quick caps runs at 0.5 s and one trial', () => {
  const spec = parseScenariosFile('f.json', JSON.stringify({ name: 'mine', trials: 2, scenarios: [{ name: 'a', group: 'g', options: ok }] }), false);
  expect([spec.name, spec.trials, spec.scenarios[0]!.group, spec.scenarios[0]!.options.seconds]).toEqual(['mine', 2, 'g', 2]);
  const quick = parseScenariosFile('f.json', JSON.stringify({ scenarios: [{ name: 'a', options: ok }] }), true);
  expect([quick.trials, quick.scenarios[0]!.options.seconds]).toEqual([1, 0.5]);
});

it('a bare list of scenarios is accepted', () => {
  expect(parseScenariosFile('f.json', JSON.stringify([{ name: 'a', options: ok }]), false).scenarios).toHaveLength(1);
});

it.each([
  ['{', /f.json is not valid JSON/],
  [JSON.stringify({ scenarios: [] }), /scenarios must be a non-empty list/],
  [JSON.stringify({ scenario: [] }), /f.json.scenario is not an option: did you mean scenarios\?/],
  [JSON.stringify({ scenarios: [{ name: 'a', options: ok }, { name: 'b', options: { ...ok, ringEntries: 1000 } }] }), /f.json: scenarios\[1\].options: dirtyRing.entries must be a power of two, got 1000: try 1024/],
  [JSON.stringify({ scenarios: [{ name: 'a', options: { ...ok, strategy: 'rings' } }] }), /scenarios\[0\].options: strategy must be one of/],
  [JSON.stringify({ scenarios: [{ name: 'a', options: { ...ok, inject: {} } }] }), /scenarios\[0\].options.inject cannot come from a file/],
  [JSON.stringify({ scenarios: [{ name: '', options: ok }] }), /scenarios\[0\].name must be a non-empty string/],
  [JSON.stringify({ scenarios: [{ name: 'a', option: ok }] }), /scenarios\[0\].option is not an option: did you mean options\?/],
])('%s is refused: %s', (text, message) => {
  expect(() => parseScenariosFile('f.json', text, false)).toThrow(message);
});
