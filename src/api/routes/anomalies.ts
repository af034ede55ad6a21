import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AnomalySchema } from '../../store/anomaly-record.js';
import type { AnomalyStore } from '../../store/anomalies.js';
import { ErrorSchema, notFound } from '../errors.js';
import { AnomalyListQuery, AnomalyPageSchema, ExplainQuery, FeedbackBody, IdParams } from '../schemas.js';
import { defineRoute } from '../zod-bridge.js';

/** What the anomaly routes need of the store. */
export type AnomaliesApi = Pick<AnomalyStore, 'list' | 'get' | 'feedback'>;

export const anomalyRoutes: FastifyPluginAsync<{ anomalies: AnomaliesApi }> = async (app, { anomalies }) => {
  defineRoute<unknown, z.output<typeof AnomalyListQuery>>(app, {
    method: 'GET',
    url: '/anomalies',
    summary: 'Anomalies ranked by score or by time, filtered, with a stable cursor',
    tag: 'anomalies',
    access: 'read',
    query: AnomalyListQuery,
    responses: { 200: AnomalyPageSchema, 400: ErrorSchema },
    handler: async (req) => {
      const page = await anomalies.list(req.query);
      if (req.query.view === 'full') return page;
      return { ...page, items: page.items.map(({ spans: _s, features: _f, ...summary }) => summary) };
    },
  });

  defineRoute<z.output<typeof IdParams>, z.output<typeof ExplainQuery>>(app, {
    method: 'GET',
    url: '/anomalies/:id',
    summary: 'One anomaly with its spans, features and feedback; explain=all lists every candidate cause',
    tag: 'anomalies',
    access: 'read',
    params: IdParams,
    query: ExplainQuery,
    responses: { 200: AnomalySchema, 400: ErrorSchema, 404: ErrorSchema },
    handler: async (req) => {
      const a = await anomalies.get(req.params.id, req.query.explain);
      if (!a) throw notFound(`anomaly ${req.params.id}`);
      return a;
    },
  });

  defineRoute<z.output<typeof IdParams>, unknown, z.output<typeof FeedbackBody>>(app, {
    method: 'POST',
    url: '/anomalies/:id/feedback',
    summary: "Records an engineer's verdict on an anomaly",
    tag: 'anomalies',
    access: 'admin',
    params: IdParams,
    body: FeedbackBody,
    responses: { 200: AnomalySchema, 400: ErrorSchema, 404: ErrorSchema },
    handler: async (req) => {
      const a = await anomalies.feedback(req.params.id, req.body);
      if (!a) throw notFound(`anomaly ${req.params.id}`);
      return a;
    },
  });
};
