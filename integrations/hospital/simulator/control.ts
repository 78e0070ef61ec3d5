import type { Server } from 'node:http';
import { OtherChannelBookingsInput } from './otherChannels';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { HisSimulator } from './server';
import { PlaceOrdersInput, SimObservation, type SimDepartment, type SimDoctor } from './types';

/**
 * HTTP control API of the HIS simulator, for the demo (a "doctor's console"). Not part of any
 * hospital protocol; bind it to loopback.
 *
 *   GET    /sim/state                                      schedule, bookings, queues, orders
 *   GET    /sim/received | /sim/sent                       message logs (ids, types, answers)
 *   PUT    /sim/behaviour                                  SimBehaviourPatch → behaviour
 *   POST   /sim/outage  { mode, forMs? }  |  DELETE /sim/outage
 *   POST   /sim/doctors/:doctorId/call-next  { room? }     200 CallResult | 204 nobody waits
 *   POST   /sim/bookings/:ref/orders  PlaceOrdersInput     201 { order, sent }
 *   POST   /sim/bookings/:ref/orders/:orderId/results  { observations, delayMs? }   200 sent | 202 scheduled
 */

const CallNextBody = z.object({ room: z.string().min(1).optional() }).default({});
const ResultsBody = z.object({ observations: z.array(SimObservation).min(1), delayMs: z.number().int().nonnegative().optional() });

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.InvalidState]: 409,
  [ErrorCode.Conflict]: 409,
};

function body<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  const parsed = schema.safeParse(req.body ?? {});
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message }));
  throw new DomainError(ErrorCode.ValidationFailed, 'invalid request body', { fields });
}

function param(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string' || value === '') throw new DomainError(ErrorCode.ValidationFailed, `missing ${name}`);
  return value;
}

export function snapshot(sim: HisSimulator, departments: SimDepartment[], doctors: SimDoctor[]) {
  const { state } = sim;
  return {
    departments,
    doctors,
    behaviour: sim.behaviour(),
    slots: [...state.slots].map(([id, s]) => ({ id, doctorId: s.slot?.doctorId, start: s.slot?.start, heldBy: s.holder ?? null })),
    // The patient ref stays out: a console shows bookings, not people.
    bookings: [...state.bookings.values()].map(({ patient: _patient, ...b }) => b),
    queues: Object.fromEntries(state.queues),
    orders: [...state.orders.values()],
  };
}

export async function startControlApi(
  sim: HisSimulator,
  opts: { host: string; port: number; departments: SimDepartment[]; doctors: SimDoctor[] },
): Promise<{ server: Server; url: string }> {
  const app = express();
  app.use(express.json({ limit: '64kb' }));

  app.get('/sim/state', (_req, res) => void res.json(snapshot(sim, opts.departments, opts.doctors)));
  app.get('/sim/received', (_req, res) => void res.json(sim.received));
  app.get('/sim/sent', (_req, res) => void res.json(sim.sent));
  app.put('/sim/behaviour', (req, res) => void res.json(sim.setBehaviour(body(z.record(z.string(), z.unknown()), req))));
  app.post('/sim/outage', async (req, res) => {
    await sim.outage(body(z.object({ mode: z.enum(['refuse', 'hang']), forMs: z.number().int().positive().optional() }), req));
    res.status(204).end();
  });
  app.delete('/sim/outage', async (_req, res) => {
    await sim.restore();
    res.status(204).end();
  });
  app.post('/sim/doctors/:doctorId/call-next', async (req, res) => {
    const called = await sim.callNext(param(req, 'doctorId'), body(CallNextBody, req).room);
    if (called === undefined) res.status(204).end();
    else res.json(called);
  });
  app.post('/sim/other-channel-bookings', async (req, res) => {
    const { planned, sent } = await sim.bookThroughOtherChannels(body(OtherChannelBookingsInput, req));
    res.json({ planned: planned.length, accepted: sent.filter((s) => s.outcome === 'AA').length });
  });
  app.post('/sim/bookings/:bookingRef/orders', async (req, res) => {
    const placed = await sim.placeOrders(param(req, 'bookingRef'), body(PlaceOrdersInput, req));
    res.status(201).json(placed);
  });
  app.post('/sim/bookings/:bookingRef/orders/:orderId/results', async (req, res) => {
    const b = body(ResultsBody, req);
    const sending = sim.sendResults(param(req, 'bookingRef'), param(req, 'orderId'), b.observations, { delayMs: b.delayMs });
    if ((b.delayMs ?? 0) > 0) {
      sending.catch(() => undefined);
      res.status(202).json({ scheduledInMs: b.delayMs });
    } else {
      res.json(await sending);
    }
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof DomainError) {
      res.status(STATUS[err.code] ?? 500).json({ code: err.code, message: err.message, fields: err.details.fields });
    } else {
      res.status(500).json({ code: ErrorCode.Internal, message: 'simulator error' });
    }
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  return { server, url: `http://${opts.host}:${port}` };
}
