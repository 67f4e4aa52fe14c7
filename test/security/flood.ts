/** A flood from one tenant, run as its own process: autocannon for DURATION_S seconds against URL with HEADERS (JSON). */
import autocannon from 'autocannon';

const result = await autocannon({
  url: process.env.URL!,
  connections: Number(process.env.CONNECTIONS ?? 20),
  duration: Number(process.env.DURATION_S ?? 3),
  headers: JSON.parse(process.env.HEADERS ?? '{}') as Record<string, string>,
});
process.stdout.write(`${JSON.stringify({ requests: result.requests.total, non2xx: result.non2xx, rps: result.requests.average })}\n`);
