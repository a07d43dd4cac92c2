// Faults injected by tests, per route and file id, on chosen request numbers: deterministic, so a test
// knows exactly which attempt fails and which succeeds.

export type FaultRoute = 'media' | 'metadata' | 'list' | 'export' | 'drive' | 'any';

export type Fault =
  /** A Drive-shaped JSON error. `reason` goes in errors[0].reason; `retryAfter` sets Retry-After. */
  | { type: 'status'; status: number; reason?: string; retryAfter?: string }
  /** Send the headers and `afterBytes` bytes of the body, then destroy the socket (connection reset). */
  | { type: 'reset'; afterBytes: number }
  /** Announce the full Content-Length, send `afterBytes` bytes, then end the connection cleanly. */
  | { type: 'truncate'; afterBytes: number };

export interface FaultRule {
  route: FaultRoute;
  /** Only requests about this file (or folder, for list) id; any when omitted. */
  fileId?: string;
  /** Let this many matching requests through first (default 0). */
  skip?: number;
  /** Apply to this many matching requests after the skipped ones (default: all of them). */
  times?: number;
  fault: Fault;
}

interface ArmedRule {
  rule: FaultRule;
  seen: number;
}

export class FaultTable {
  #rules: ArmedRule[] = [];

  add(rule: FaultRule): void {
    this.#rules.push({ rule, seen: 0 });
  }

  clear(): void {
    this.#rules = [];
  }

  /** The fault for this request, if any; counts the request against every matching rule. */
  match(route: Exclude<FaultRoute, 'any'>, fileId: string): Fault | undefined {
    let found: Fault | undefined;
    for (const armed of this.#rules) {
      const { rule } = armed;
      if (rule.route !== 'any' && rule.route !== route) continue;
      if (rule.fileId !== undefined && rule.fileId !== fileId) continue;
      const n = armed.seen++;
      const skip = rule.skip ?? 0;
      const times = rule.times ?? Number.POSITIVE_INFINITY;
      if (found === undefined && n >= skip && n < skip + times) found = rule.fault;
    }
    return found;
  }
}
