// The series a PromQL expression reads: its metric names and their label matchers. Enough of PromQL for
// dashboards and alert rules (selectors, functions, aggregations with by/without, vector matching with
// on/ignoring/group_*, ranges, offsets, Grafana's $variables); not a parser for arbitrary PromQL.

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
}

const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g;
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'inf', 'nan']);

function matchersOf(body: string): Matcher[] {
  return [...body.matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => ({ label: m[1] ?? '', op: m[2] as Matcher['op'], value: m[3] ?? '' }));
}

/** Every metric selector in `expr`, in order: `name{matchers}` or a bare `name`. */
export function selectors(expr: string): Selector[] {
  // Label matchers first, while their strings are still there; then blank out what is not a metric name.
  const withMatchers = new Map<number, Matcher[]>();
  const masked = expr.replace(/\{([^}]*)\}/g, (whole, body: string, at: number) => {
    withMatchers.set(at, matchersOf(body));
    return ' '.repeat(whole.length);
  });
  const blanked = masked
    .replace(STRING, (s) => ' '.repeat(s.length))
    .replace(GROUPING, (s) => ' '.repeat(s.length))
    .replace(/\[[^\]]*\]/g, (s) => ' '.repeat(s.length))
    .replace(/\$\{?\w+\}?/g, (s) => ' '.repeat(s.length));
  const found: Selector[] = [];
  for (const m of blanked.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*/g)) {
    const name = m[0];
    const end = m.index + name.length;
    const rest = blanked.slice(end);
    if (KEYWORDS.has(name) || /^\s*\(/.test(rest)) continue; // keywords, functions and aggregations
    const gap = /^\s*/.exec(expr.slice(end))?.[0].length ?? 0; // the original text: where a `{` would start
    found.push({ metric: name, matchers: withMatchers.get(end + gap) ?? [] });
  }
  return found;
}
