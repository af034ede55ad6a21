/**
 * The external card gateway payment calls: a third party, so not instrumented and not one of the app's
 * services (no telemetry is loaded into it). Answers in ~20 ms, as a remote API does.
 */
import http from 'node:http';
import { listen, send, work } from './kit.js';

listen(
  http.createServer((req, res) => {
    req.resume();
    req.on('end', () => void work(20).then(() => send(res, 200, { approved: true, code: '00' })));
  }),
);
