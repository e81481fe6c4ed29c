/**
 * A user's own comparison, as JSON (`dirtylog compare --scenarios FILE.json`; the format is in
 * the README):
 *
 *   { "name": "my-ring-test", "summary": "…", "trials": 3,
 *     "scenarios": [ { "name": "ring", "group": "1 GiB", "options": { "strategy": "ring", "memory": "1GiB", … } } ] }
 *
 * `options` are run options (RunOptions) as the library spells them. Everything is checked
 * before anything runs; a mistake names its place in the file (`scenarios[2].options.ringEntries`).
 * Test hooks (`inject`) and `signal` are not accepted from a file.
 */
import { rejectUnknownKeys, requireInteger, requireObject } from '../validate.ts';
import type { ComparisonScenario, ComparisonSpec } from './comparison.ts';
import { checkPoints } from './trials.ts';

const TOP_KEYS = ['name', 'summary', 'trials', 'scenarios'];
const SCENARIO_KEYS = ['name', 'group', 'options'];
const REFUSED_OPTIONS = ['inject', 'signal'];
/** More scenarios than this is a typo or a generated file gone wrong, not an afternoon's comparison. */
const MAX_SCENARIOS = 200;

function text(name: string, value: unknown, max = 200): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) throw new TypeError(`${name} must be a non-empty string of at most ${max} characters`);
  return value;
}

/** Parses and checks a scenarios file's text. `quick` caps each run at 0.5 s and one trial. */
export function parseScenariosFile(source: string, json: string, quick: boolean, trials?: number): ComparisonSpec {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new TypeError(`${source} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const top = requireObject(source, Array.isArray(doc) ? { scenarios: doc } : doc);
  rejectUnknownKeys(source, top, TOP_KEYS);
  if (!Array.isArray(top.scenarios) || top.scenarios.length === 0) throw new TypeError(`${source}: scenarios must be a non-empty list of { name, group?, options }`);
  if (top.scenarios.length > MAX_SCENARIOS) throw new RangeError(`${source}: scenarios must hold at most ${MAX_SCENARIOS} entries, got ${top.scenarios.length}`);
  const scenarios = (top.scenarios as unknown[]).map((s, i): ComparisonScenario => {
    const at = `scenarios[${i}]`;
    const o = requireObject(at, s);
    rejectUnknownKeys(at, o, SCENARIO_KEYS);
    const options = requireObject(`${at}.options`, o.options);
    for (const k of REFUSED_OPTIONS) if (k in options) throw new TypeError(`${at}.options.${k} cannot come from a file: drop it`);
    const seconds = typeof options.seconds === 'number' ? options.seconds : 1;
    return {
      name: text(`${at}.name`, o.name),
      ...(o.group !== undefined ? { group: text(`${at}.group`, o.group) } : {}),
      options: { ...(options as ComparisonScenario['options']), ...(quick ? { seconds: Math.min(0.5, seconds) } : {}) },
    };
  });
  const n = trials ?? (quick ? 1 : requireInteger(`${source}: trials`, top.trials ?? 3, 1, 100));
  try {
    checkPoints(scenarios.map((s) => ({ label: s.name, options: s.options })), n);
  } catch (err) {
    // checkPoints says "point 3 (name): …": in a file, the place is scenarios[2].options.
    if (err instanceof TypeError || err instanceof RangeError) {
      const m = /^point (\d+) \([\s\S]*?\): ([\s\S]*)$/.exec(err.message);
      if (m) {
        const E = err instanceof TypeError ? TypeError : RangeError;
        throw new E(`${source}: scenarios[${Number(m[1]) - 1}].options: ${m[2]}`);
      }
    }
    throw err;
  }
  return {
    name: top.name === undefined ? 'scenarios' : text(`${source}: name`, top.name, 80),
    summary: top.summary === undefined ? `${scenarios.length} scenarios from ${source}` : text(`${source}: summary`, top.summary),
    scenarios,
    trials: n,
  };
}
