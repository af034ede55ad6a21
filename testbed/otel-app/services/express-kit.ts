/** How the Express services (frontend, checkout, cart, shipping) set Express up. */
import http from 'node:http';
import express from 'express';
import { errorMiddleware, listen, type FaultSwitch } from './kit.js';

/** JSON bodies, then the fault switch, ahead of every route (both show as middleware spans). */
export function expressApp(faults: FaultSwitch): express.Express {
  const app = express();
  app.use(express.json());
  app.use(async function faultSwitch(req, _res, next) {
    await faults.enter(req.headers);
    next();
  });
  return app;
}

/** Adds the error handler and listens; the admin routes are answered before Express sees a request. */
export function listenExpress(app: express.Express, faults: FaultSwitch): void {
  app.use(errorMiddleware);
  listen(http.createServer((req, res) => faults.admin(req, res) || app(req, res)));
}
