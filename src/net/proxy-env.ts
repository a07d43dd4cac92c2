// Which requests a proxy set in the environment applies to. gaxios (the auth client's request()) proxies
// whenever HTTPS_PROXY or HTTP_PROXY is set, whatever the URL's scheme; node:http and the direct reader never
// do, so media goes through gaxios then, unless NO_PROXY exempts the host. NO_PROXY is read as curl and most
// tools read it (a comma list; `*`; a domain with or without a leading `.` or `*.` matches itself and every
// host under it; `host:port` only that port), wider than gaxios's own reading (no `*`, and a bare domain only
// itself): source/drive/download.ts passes our verdict on to gaxios so that both agree. CIDR ranges are not matched.
import { isIP } from 'node:net';

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/** A proxy is set for gaxios to use. */
export function proxyConfigured(env: NodeJS.ProcessEnv): boolean {
  return PROXY_VARS.some((k) => (env[k] ?? '') !== '');
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/** One NO_PROXY entry against a host (lower case, IPv6 without brackets) and port. */
function entryMatches(entry: string, host: string, port: string): boolean {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry);
  const withPort = bracketed ? null : /^([^:]+):(\d+)$/.exec(entry);
  const name = (bracketed?.[1] ?? withPort?.[1] ?? entry).replace(/^\*?\./, '');
  const entryPort = bracketed?.[2] ?? withPort?.[2];
  if (entryPort !== undefined && entryPort !== port) return false;
  // A domain suffix; an IP address matches only itself.
  return name !== '' && (host === name || (isIP(host) === 0 && host.endsWith(`.${name}`)));
}

/** NO_PROXY (or no_proxy, as gaxios reads them) exempts `url` from the proxy; with no URL, only `*` does. */
export function bypassesProxy(url: URL | null, env: NodeJS.ProcessEnv): boolean {
  const entries = (env.NO_PROXY ?? env.no_proxy ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  if (entries.includes('*')) return true;
  if (url === null) return false;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = defaultPort(url);
  return entries.some((e) => entryMatches(e, host, port));
}
