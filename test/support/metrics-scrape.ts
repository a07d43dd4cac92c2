// A Prometheus text exposition (what /metrics answers) read into families and samples, and the check that
// the series PromQL expressions read exist in it: each metric name, and each literal label value a matcher
// asks for where the scrape has samples to judge by.
import { selectors } from './promql.js';

export interface Family {
  type: string;
  samples: Record<string, string>[];
}
export type Scrape = Map<string, Family>;
/** Label values known from elsewhere than the scrape (a counter with no sample yet): metric → label → values. */
export type KnownValues = Map<string, Map<string, Set<string>>>;

// Labels Prometheus adds from the scrape target; a local scrape cannot have them.
const TARGET_LABELS = new Set(['namespace', 'pod', 'job', 'instance', 'container', 'endpoint']);
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

function labelsOf(body: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of (body ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1] ?? ''] = m[2] ?? '';
  return labels;
}

export function parseScrape(text: string): Scrape {
  const families: Scrape = new Map();
  const familyOf = new Map<string, Family>(); // sample name (x, x_bucket, …) → its family
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] && type[2]) {
      const family: Family = { type: type[2], samples: [] };
      families.set(type[1], family);
      for (const name of [type[1], ...(SUFFIXES[type[2]] ?? []).map((s) => `${type[1] ?? ''}${s}`)]) familyOf.set(name, family);
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (sample?.[1]) familyOf.get(sample[1])?.samples.push(labelsOf(sample[2]));
  }
  return families;
}

/** The names an expression may select from this scrape: each family, and a histogram's _bucket/_sum/_count. */
function seriesNames(scrape: Scrape): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, family] of scrape) {
    names.set(name, name);
    for (const suffix of SUFFIXES[family.type] ?? []) names.set(`${name}${suffix}`, name);
  }
  return names;
}

/** What the expressions read that the scrape does not have; [] when every series exists. */
export function seriesProblems(exprs: string[], scrape: Scrape, known: KnownValues = new Map()): string[] {
  const names = seriesNames(scrape);
  const problems: string[] = [];
  for (const expr of exprs) {
    const found = selectors(expr);
    if (found.length === 0) problems.push(`${expr.trim()}: selects no series`);
    for (const { metric, matchers } of found) {
      const family = names.get(metric);
      if (family === undefined) {
        problems.push(`${metric} is not in the scrape`);
        continue;
      }
      for (const m of matchers) {
        if (TARGET_LABELS.has(m.label) || m.value.includes('$') || (m.op !== '=' && m.op !== '=~')) continue;
        if (m.op === '=~' && !/^[\w:-]+(\|[\w:-]+)*$/.test(m.value)) continue; // only a plain alternation is judged
        const values = new Set([...(scrape.get(family)?.samples ?? []).flatMap((s) => s[m.label] ?? []), ...(known.get(family)?.get(m.label) ?? [])]);
        if (values.size === 0) continue; // no sample to judge by
        for (const v of m.op === '=' ? [m.value] : m.value.split('|')) {
          if (!values.has(v)) problems.push(`${metric}{${m.label}="${v}"} is not in the scrape (${m.label}: ${[...values].sort().join(', ')})`);
        }
      }
    }
  }
  return problems;
}

/** The value of one sample of a scrape's text (`labels` must all match); undefined when there is none. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const got = labelsOf(m[2]);
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}
