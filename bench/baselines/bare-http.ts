/**
 * The machine's limit: a bare node:http server answering GET /api/health with the same JSON
 * as the app (BENCH_HEALTH_BODY), nothing else.
 */
import { createServer } from 'node:http';

const body = Buffer.from(process.env.BENCH_HEALTH_BODY ?? '{"status":"ok"}');
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) };

createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/api/health') {
    res.writeHead(200, headers);
    res.end(body);
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
  res.end('{"error":"Not Found"}');
}).listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
