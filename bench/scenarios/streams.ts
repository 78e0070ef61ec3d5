import http from 'node:http';
import type { Comparison } from '../lib/report';
import { insertHospital, insertVerifiedUsers, seedSlots } from '../lib/seed';
import { JsonHttp, partnerHeaders } from '../lib/http';
import type { Stack } from '../lib/stack';
import { nowMs, pool, round, summarize } from '../lib/stats';
import type { Usage } from '../lib/usage';
import { VisitDriver, type VisitRef } from '../lib/visitDriver';
import { Watcher } from '../lib/watch';

/**
 * 5. Queue streams (`GET /v1/visits/:ref/queue/stream`, server-sent events) on ONE API process:
 *  - idle cost: `streamsOpen` streams held open while nothing changes, the API process's CPU over
 *    `streamsIdleSeconds` as a percentage of one core; the floor is the same process, same length of
 *    time, with no stream open (measured just before);
 *  - change delivery: the HIS calls the next patient in (ADT^A08 over MLLP, the real call-in path),
 *    which moves everyone behind them up; the time from the call's send to the moment each open stream
 *    receives the event showing its new place (or "called"), over `streamsChanges` calls.
 * Patients are spread over the streams (several devices each), all waiting for one doctor, so that
 * each call-in changes every stream. Works with polling streams and with change-driven ones alike:
 * it only observes what the client sees.
 */
const HOSPITAL = 'bstream';
const DOCTOR = 'SD001';

interface QueueEvent {
  stage: string;
  status: string;
  position: number | null;
}

/** One open stream: its last event and the time each event arrived. */
class Stream {
  last: QueueEvent | undefined;
  arrivals: Array<{ at: number; event: QueueEvent }> = [];
  ended = false;
  private req: http.ClientRequest | undefined;
  private buffer = '';

  constructor(readonly visit: VisitRef) {}

  open(baseUrl: string, apiKey: string, onEvent: () => void): Promise<void> {
    const url = new URL(`/v1/visits/${this.visit.bookingRef}/queue/stream`, baseUrl);
    return new Promise((resolve, reject) => {
      // A socket of its own per stream, as each patient's phone would have.
      this.req = http.get(url, { agent: false, headers: partnerHeaders(apiKey, this.visit.userId) }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`stream of ${this.visit.bookingRef} answered ${res.statusCode ?? 0}`));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = nowMs();
          this.buffer += chunk;
          let cut: number;
          while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
            const block = this.buffer.slice(0, cut);
            this.buffer = this.buffer.slice(cut + 2);
            const lines = block.split('\n');
            if (!lines.includes('event: queue')) continue; // heartbeats and other events
            const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
            if (!data) continue;
            const event = JSON.parse(data) as QueueEvent;
            this.last = event;
            this.arrivals.push({ at, event });
            onEvent();
          }
        });
        res.on('end', () => {
          this.ended = true;
        });
        res.on('error', () => {
          this.ended = true;
        });
        resolve();
      });
      this.req.on('error', (err) => {
        this.ended = true;
        reject(err);
      });
    });
  }

  close(): void {
    this.req?.destroy();
  }
}

export async function streamsScenario(stack: Stack, say: (m: string) => void): Promise<Comparison[]> {
  const { streamsOpen: open, streamsIdleSeconds: idleSeconds, streamsChanges: changes } = stack.options;
  const patients = Math.min(open, Math.max(changes + 5, Math.ceil(open / 20)));
  const his = await stack.startHis(HOSPITAL, [DOCTOR]);
  await insertHospital(stack.db, stack.pii, { id: HOSPITAL, secret: stack.keys.hospitalSecret, hisPort: his.port, policy: {} });
  const users = await insertVerifiedUsers(stack.db, stack.pii, stack.partner.id, patients, 'S');
  const slots = (await seedSlots(stack.db, { institutionId: HOSPITAL, doctorIds: [DOCTOR], perDoctor: patients })).all;
  const client = new JsonHttp(stack.api.apiUrl, { maxSockets: 32 });
  const watcher = new Watcher(stack.db);
  const driver = new VisitDriver(client, watcher, stack.payment.sim, his, HOSPITAL, stack.partner.apiKey);
  const visits: VisitRef[] = [];
  const streams: Stream[] = [];
  let wake: (() => void) | undefined;
  const onEvent = (): void => wake?.();
  /** Resolves when `done()` holds, re-checked on every event; rejects after `ms`. */
  const until = (done: () => boolean, ms: number, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        wake = undefined;
        reject(new Error(`streams: ${what} not within ${ms} ms`));
      }, ms);
      wake = () => {
        if (!done()) return;
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      wake();
    });

  try {
    say(`streams: ${patients} patients booked, paid and waiting in one doctor's queue…`);
    // Eight at a time: at most 10 updates in flight per doctor-queue workflow (see reads.ts).
    await pool(patients, 8, async (i) => {
      visits.push(await driver.bookPayCheckIn(users[i] ?? '', slots[i] ?? ''));
    });

    say(`streams floor: the API process idle for ${idleSeconds} s with no stream open…`);
    const floor = await idle(stack, idleSeconds);

    say(`streams: opening ${open} queue streams on one API process…`);
    const t0 = nowMs();
    for (let i = 0; i < open; i++) streams.push(new Stream(visits[i % visits.length] as VisitRef));
    await pool(open, 64, async (i) => {
      await streams[i]?.open(stack.api.apiUrl, stack.partner.apiKey, onEvent);
    });
    await until(() => streams.every((s) => s.last !== undefined), 60_000, `the first event on all ${open} streams`);
    const openedMs = nowMs() - t0;
    // Let the opening burst settle before the idle window starts.
    await new Promise((r) => setTimeout(r, 2_000));

    say(`streams: ${open} idle streams for ${idleSeconds} s…`);
    const eventsBefore = streams.reduce((n, s) => n + s.arrivals.length, 0);
    const idleRun = await idle(stack, idleSeconds);
    const idleEvents = streams.reduce((n, s) => n + s.arrivals.length, 0) - eventsBefore;

    say(`streams: ${changes} call-ins (HL7 ADT^A08), each timed to every open stream…`);
    const latencies: number[] = [];
    let missed = 0;
    const endChanges = await stack.usage.window();
    const changesStarted = nowMs();
    for (let k = 0; k < changes; k++) {
      const open = streams.filter((s) => !s.ended && s.last !== undefined && s.last.stage === 'queued');
      const before = new Map(open.map((s) => [s, s.arrivals.length]));
      const placeBefore = new Map(open.map((s) => [s, s.last?.position ?? 0]));
      const sentAt = nowMs();
      const called = await his.callNext(DOCTOR);
      if (!called || called.sent.outcome !== 'AA') throw new Error(`call-in ${k + 1} was answered ${called?.sent.outcome ?? 'nobody'}`);
      // What changes: the called patient's streams (now "called") and everyone behind them (one place up).
      // The HIS calls in its own order, which may not be the head of Causeway's queue: those ahead see no change.
      const calledStream = open.find((s) => s.visit.bookingRef === called.bookingRef);
      const calledAt = calledStream ? (placeBefore.get(calledStream) ?? 0) : 0;
      const live = open.filter((s) => s.visit.bookingRef === called.bookingRef || (placeBefore.get(s) ?? 0) > calledAt);
      // A stream has the change once an event after the call shows a new place, or that it was called.
      const deliveredAt = (s: Stream): number | undefined => {
        const prior = s.arrivals[(before.get(s) ?? 0) - 1]?.event;
        return s.arrivals
          .slice(before.get(s) ?? 0)
          .find((a) => a.event.stage !== prior?.stage || a.event.position !== prior?.position || a.event.status !== prior?.status)?.at;
      };
      try {
        await until(() => live.every((s) => deliveredAt(s) !== undefined), 10_000, `call-in ${k + 1} on every stream`);
      } catch {
        // Counted and reported rather than failing the run: a stream that never saw the change is the finding.
      }
      for (const s of live) {
        const at = deliveredAt(s);
        if (at === undefined) missed += 1;
        else latencies.push(at - sentAt);
      }
    }
    const changeUsage = await endChanges();
    const changesMs = nowMs() - changesStarted;
    const delivery = summarize(latencies);
    const cpuPercent = (u: Usage, seconds: number): number | null =>
      u.cpu.api === null || u.cpu.api === undefined ? null : round((u.cpu.api / seconds) * 100, 1);
    const idlePercent = cpuPercent(idleRun.usage, idleRun.seconds);
    const floorPercent = cpuPercent(floor.usage, floor.seconds);
    const stillOpen = streams.filter((s) => !s.ended).length;

    return [
      {
        scenario: `Queue streams: ${open} idle`,
        measured: {
          what: `API process CPU, ${open} open idle streams`,
          rate: idlePercent ?? 0,
          unit: '% of a core',
          details: {
            streams: open,
            patients,
            seconds: idleRun.seconds,
            apiCpuSeconds: idleRun.usage.cpu.api,
            postgresCpuSeconds: idleRun.usage.cpu.postgres,
            eventsWhileIdle: idleEvents,
            openedInMs: Math.round(openedMs),
          },
        },
        floor: {
          what: 'same API process, no stream open',
          rate: floorPercent ?? 0,
          unit: '% of a core',
          details: { seconds: floor.seconds, apiCpuSeconds: floor.usage.cpu.api, postgresCpuSeconds: floor.usage.cpu.postgres },
        },
        ratioPercent: null,
        checks: [
          {
            name: 'API CPU < 5% of a core',
            ok: idlePercent !== null && idlePercent < 5,
            detail: `${idlePercent ?? '?'}% with ${open} streams (floor ${floorPercent ?? '?'}%); PostgreSQL ${idleRun.usage.cpu.postgres ?? '?'} CPU-s`,
          },
          { name: `all ${open} streams opened`, ok: true, detail: `first event on every stream within ${Math.round(openedMs)} ms` },
        ],
        usage: { measured: idleRun.usage, floor: floor.usage },
        memory: `API ${idleRun.usage.rss.api ?? '?'} (no streams: ${floor.usage.rss.api ?? '?'})`,
        notes: [
          `${open} streams over ${patients} waiting patients (about ${Math.round(open / patients)} devices each), one API process; ` +
            `${idleEvents} queue events reached the streams during the idle window (nothing changed).`,
        ],
      },
      {
        scenario: 'Queue streams: change delivery',
        measured: {
          what: 'call-in (HL7) → event on every open stream',
          rate: delivery.count > 0 ? round(delivery.count / (changesMs / 1000)) : 0,
          unit: 'events/s',
          latency: delivery,
          details: { changes, delivered: latencies.length, missed, stillOpen },
        },
        floor: {
          what: 'the same streams idle (no floor for latency)',
          rate: 0,
          unit: 'events/s',
        },
        ratioPercent: null,
        checks: [
          {
            name: 'p99 < 1 s',
            ok: delivery.count > 0 && delivery.p99Ms < 1_000,
            detail: `p99 ${delivery.p99Ms} ms over ${delivery.count} deliveries`,
          },
          { name: 'every stream saw every change', ok: missed === 0 && latencies.length > 0, detail: `${missed} missed (10 s limit each)` },
        ],
        usage: { measured: changeUsage, floor: null },
        memory: `API ${changeUsage.rss.api ?? '?'}`,
        notes: [
          'latency runs from the HIS sending the call-in (ADT^A08 over MLLP) to the stream receiving the event with its new place: ' +
            'the inbound pipeline, the visit and doctor-queue workflows, the read model write and the stream itself.',
        ],
      },
    ];
  } finally {
    for (const s of streams) s.close();
    watcher.stop();
    client.close();
    await Promise.all(
      visits.map((v) =>
        stack.temporal.workflow
          .getHandle(v.journeyId)
          .terminate('bench: streams measured')
          .catch(() => undefined),
      ),
    );
  }
}

async function idle(stack: Stack, seconds: number): Promise<{ usage: Usage; seconds: number }> {
  const end = await stack.usage.window();
  const t0 = nowMs();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const usage = await end();
  return { usage, seconds: (nowMs() - t0) / 1000 };
}
