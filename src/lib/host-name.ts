/**
 * `entry` (a host name, an IPv4 address, an IPv6 address with or without brackets) as `URL`
 * writes a host: lower case, IPv6 in brackets and compressed, IPv4 in dotted decimal. Undefined
 * when `entry` is not a host alone (a port, a path, user info, brackets around a name).
 */
export function bareHostName(entry: string): string | undefined {
  const host = entry.trim();
  const text = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}/`;
  if (host === '' || !URL.canParse(text)) return undefined;
  const url = new URL(text);
  if (url.port !== '' || url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
  return url.hostname;
}
