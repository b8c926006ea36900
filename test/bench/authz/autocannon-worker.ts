/**
 * Runs one autocannon load in its own process (so the load generator does not share a CPU
 * queue with the server under test). Reads a job as JSON from argv[2]; prints the summary.
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

interface Job {
  url: string;
  path: string;
  headers: Record<string, string>;
  bodiesFile: string;
  connections: number;
  duration: number;
}

const job = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Job;
const bodies = JSON.parse(readFileSync(job.bodiesFile, 'utf8')) as string[];
let i = 0;
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.duration,
  requests: [
    {
      method: 'POST',
      path: job.path,
      headers: { 'content-type': 'application/json', ...job.headers },
      setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] as string }),
    },
  ],
});
process.stdout.write(
  JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }) + '\n',
);
