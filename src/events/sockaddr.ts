// struct sockaddr bytes (as the tracer read them) -> address facts and the
// text Falco prints.
export interface SockAddr {
  family: number;
  ip?: string;
  port?: number;
  path?: string;
}

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;

export function parseSockaddr(b: Buffer | undefined): SockAddr | undefined {
  if (b === undefined || b.length < 2) return undefined;
  const family = b.readUInt16LE(0);
  if (family === AF_INET && b.length >= 8) {
    return { family, port: b.readUInt16BE(2), ip: `${b[4]}.${b[5]}.${b[6]}.${b[7]}` };
  }
  if (family === AF_INET6 && b.length >= 24) {
    const port = b.readUInt16BE(2);
    const a = b.subarray(8, 24);
    // IPv4-mapped addresses print as IPv4, as Falco does
    if (a.readUInt32BE(0) === 0 && a.readUInt32BE(4) === 0 && a.readUInt32BE(8) === 0xffff) {
      return { family: AF_INET, port, ip: `${a[12]}.${a[13]}.${a[14]}.${a[15]}` };
    }
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(a.readUInt16BE(i).toString(16));
    return { family, port, ip: compressV6(groups) };
  }
  if (family === AF_UNIX) {
    const raw = b.subarray(2);
    if (raw.length === 0) return { family, path: '' };
    if (raw[0] === 0) return { family, path: '@' + raw.subarray(1).toString('utf8').replace(/\0+$/, '') };
    const nul = raw.indexOf(0);
    return { family, path: raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8') };
  }
  return { family };
}

function compressV6(groups: string[]): string {
  // longest run of zero groups becomes ::
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return groups.slice(0, best).join(':') + '::' + groups.slice(best + bestLen).join(':');
}

/** `ip:port` (or the unix path) as Falco prints a sockaddr parameter. */
export function renderSockaddr(a: SockAddr | undefined): string | undefined {
  if (a === undefined) return undefined;
  if (a.path !== undefined) return a.path;
  if (a.ip !== undefined) return `${a.ip}:${a.port ?? 0}`;
  return undefined;
}
