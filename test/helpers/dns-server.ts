import { createSocket, type Socket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';

/** How the test DNS server answers a name: TXT strings, an error RCODE, or not at all. */
export type DnsAnswer = { txt: string[][] } | 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'silent';

const RCODE = { nxdomain: 3, servfail: 2, refused: 5 } as const;

/**
 * A tiny authoritative DNS server on a loopback UDP port, so node:dns (c-ares) itself produces
 * the errors a real resolver gives (ENOTFOUND, ENODATA, ESERVFAIL, EREFUSED, ETIMEOUT) rather
 * than a test inventing them. Names not in `answers` get NXDOMAIN.
 */
export class TestDnsServer {
  readonly answers = new Map<string, DnsAnswer>();
  #socket?: Socket;
  port = 0;

  static async start(): Promise<TestDnsServer> {
    const server = new TestDnsServer();
    const socket = createSocket('udp4');
    socket.on('message', (msg, rinfo) => {
      const reply = server.#answer(msg);
      if (reply) socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    server.#socket = socket;
    server.port = socket.address().port;
    return server;
  }

  /** A node:dns resolver asking only this server (quick to give up: one try, short timeout). */
  resolver(): Resolver {
    const r = new Resolver({ timeout: 300, tries: 1 });
    r.setServers([`127.0.0.1:${this.port}`]);
    return r;
  }

  /** A node:dns resolver asking a loopback port where nothing listens (c-ares: ECONNREFUSED). */
  static async unreachableResolver(): Promise<Resolver> {
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = new Resolver({ timeout: 300, tries: 1 });
    r.setServers([`127.0.0.1:${port}`]);
    return r;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#socket ? this.#socket.close(() => resolve()) : resolve()));
  }

  #answer(query: Buffer): Buffer | undefined {
    let offset = 12;
    const labels: string[] = [];
    while (query[offset]! > 0) {
      labels.push(query.subarray(offset + 1, offset + 1 + query[offset]!).toString('ascii'));
      offset += query[offset]! + 1;
    }
    const questionEnd = offset + 5;
    const answer = this.answers.get(labels.join('.').toLowerCase()) ?? 'nxdomain';
    if (answer === 'silent') return undefined;
    const rcode = typeof answer === 'string' && answer !== 'nodata' ? RCODE[answer] : 0;
    const records = typeof answer === 'object' ? answer.txt.map(txtRecord) : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8000 | 0x0400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
  }
}

function txtRecord(strings: string[]): Buffer {
  const rdata = Buffer.concat(strings.map((s) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])));
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  fixed.writeUInt16BE(16, 2); // TXT
  fixed.writeUInt16BE(1, 4); // IN
  fixed.writeUInt32BE(60, 6);
  fixed.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([fixed, rdata]);
}
