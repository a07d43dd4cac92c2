// The subset of the Drive `q` language the lister uses: terms joined by `and`.
//   '<id>' in parents | trashed = true|false | sharedWithMe [= true|false] | mimeType = '<m>' | mimeType != '<m>'
//   | name = '<n>' | name != '<n>'
// Anything else is rejected with 400 invalid, like Drive does for a malformed query, so a lister bug shows up.

export interface QueryNode {
  parents: string[];
  trashed: boolean;
  mimeType: string;
  name: string;
  /** In the caller's "Shared with me" (store.ts sharedWith). */
  sharedWithMe: boolean;
}

export type Predicate = (node: QueryNode) => boolean;

export class QueryError extends Error {
  override readonly name = 'QueryError';
}

type Token = { kind: 'string'; value: string } | { kind: 'word'; value: string } | { kind: 'op'; value: string };

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        const d = q[i];
        if (d === undefined) throw new QueryError('unterminated string');
        if (d === '\\') {
          value += q[i + 1] ?? '';
          i += 2;
        } else if (d === "'") {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', value });
    } else if (c === '!' && q[i + 1] === '=') {
      tokens.push({ kind: 'op', value: '!=' });
      i += 2;
    } else if (c === '=') {
      tokens.push({ kind: 'op', value: '=' });
      i++;
    } else {
      const match = /^[A-Za-z_]+/.exec(q.slice(i));
      if (!match) throw new QueryError(`unexpected character ${JSON.stringify(c)}`);
      tokens.push({ kind: 'word', value: match[0] });
      i += match[0].length;
    }
  }
  return tokens;
}

function parseTerm(t: Token[]): Predicate {
  const [a, b, c] = t;
  if (t.length === 3 && a?.kind === 'string' && b?.kind === 'word' && b.value === 'in' && c?.kind === 'word' && c.value === 'parents') {
    const id = a.value;
    return (n) => n.parents.includes(id);
  }
  if (t.length === 1 && a?.kind === 'word' && a.value === 'sharedWithMe') return (n) => n.sharedWithMe;
  if (t.length === 3 && a?.kind === 'word' && b?.kind === 'op') {
    const negate = b.value === '!=';
    if ((a.value === 'trashed' || a.value === 'sharedWithMe') && c?.kind === 'word' && (c.value === 'true' || c.value === 'false') && !negate) {
      const field = a.value;
      const want = c.value === 'true';
      return (n) => n[field] === want;
    }
    if ((a.value === 'mimeType' || a.value === 'name') && c?.kind === 'string') {
      const field = a.value;
      const want = c.value;
      return (n) => (n[field] === want) !== negate;
    }
  }
  throw new QueryError(`unsupported query term: ${t.map((x) => x.value).join(' ')}`);
}

/** Parse a q string into one predicate (all terms must hold). An empty q matches everything. */
export function parseQuery(q: string): Predicate {
  const tokens = tokenize(q);
  const terms: Predicate[] = [];
  let current: Token[] = [];
  for (const token of tokens) {
    if (token.kind === 'word' && token.value.toLowerCase() === 'and') {
      terms.push(parseTerm(current));
      current = [];
    } else {
      current.push(token);
    }
  }
  if (current.length > 0) terms.push(parseTerm(current));
  return (node) => terms.every((p) => p(node));
}
