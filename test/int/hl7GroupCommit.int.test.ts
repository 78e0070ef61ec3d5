import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { buildSiu, parseAck } from '../../integrations/hospital/hl7';
import { createInboundHl7Handler, type DispatchMeta, type InboundHl7Handler, type InboxSecrets } from '../../integrations/hospital/inbound';
import { MllpClient, MllpServer } from '../../integrations/hospital/mllp';
import { openTestDb } from '../helpers/db';

/**
 * Group commit of inbox inserts (integrations/hospital/inbound/groupCommit.ts) against the real
 * database and real sockets: messages arriving together share one INSERT, every one is stored once
 * and acknowledged only once its row is committed, and a batch the database refuses answers no AA.
 */
const HOST = '127.0.0.1';
const FACILITY = `G${randomBytes(4).toString('hex').toUpperCase()}`;
const SENDER = `HIS^${FACILITY}`;
const META = { remoteAddress: 'test' };

const secrets: InboxSecrets = {
  encrypt: (s) => `enc:${Buffer.from(s, 'utf8').toString('base64')}`,
  decrypt: (s) => Buffer.from(s.slice(4), 'base64').toString('utf8'),
};

let seq = 0;
const uid = (p: string) => `${p}${Date.now().toString(36).toUpperCase()}${++seq}`;

function siu(controlId: string, bookingRef: string): string {
  return buildSiu('S14', {
    sendingApplication: 'HIS',
    sendingFacility: FACILITY,
    receivingApplication: 'CAUSEWAY',
    receivingFacility: 'CAUSEWAY',
    controlId,
    bookingRef,
    fillerAppointmentId: 'SLOT-1',
    slotStart: '2025-03-03T01:00:00.000Z',
    durationMinutes: 15,
    patient: { id: 'P-100', familyName: 'Test', phone: '13800138000' },
  });
}

describe('inbound HL7 group commit', () => {
  let db: DataSource;
  let handler: InboundHl7Handler;
  const dispatched: DispatchMeta[] = [];
  /** Trigger function refusing rows whose MSH-10 starts with its prefix (dropped after the run). */
  const refuser = `refuse_${randomBytes(4).toString('hex')}`;
  const refusedPrefix = uid('REFUSED-');

  const rowsOf = async (ids: string[]): Promise<Array<{ message_id: string; status: string }>> =>
    db.query(`SELECT message_id, status FROM inbox_messages WHERE channel = 'hl7' AND sender = $1 AND message_id = ANY($2::text[])`, [
      SENDER,
      ids,
    ]);
  /** Inbox INSERT statements this test's connection pool sent (a spy: the database still runs them). */
  const inserts = (spy: jest.SpyInstance): number =>
    spy.mock.calls.filter((c: unknown[]) => typeof c[0] === 'string' && c[0].trimStart().startsWith('INSERT INTO inbox_messages')).length;

  beforeAll(async () => {
    db = await openTestDb(10);
    handler = createInboundHl7Handler({
      db,
      secrets,
      dispatch: async (_event, meta) => void dispatched.push(meta),
      // As the API sizes them: claims (each pinning a connection) at most half the pool.
      maxConcurrentClaims: 3,
      groupCommit: { maxBatch: 16 },
    });
    await db.query(
      `CREATE FUNCTION ${refuser}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.message_id LIKE '${refusedPrefix}%' THEN RAISE EXCEPTION 'refused by the test'; END IF;
         RETURN NEW;
       END $$`,
    );
    await db.query(`CREATE TRIGGER ${refuser} BEFORE INSERT ON inbox_messages FOR EACH ROW EXECUTE FUNCTION ${refuser}()`);
  });

  afterAll(async () => {
    await handler.idle();
    await db.query(`DROP TRIGGER IF EXISTS ${refuser} ON inbox_messages`);
    await db.query(`DROP FUNCTION IF EXISTS ${refuser}()`);
    await db.destroy();
  });

  it('stores frames from N connections once each, and answers AA only once the row is committed', async () => {
    const server = new MllpServer({ host: HOST, port: 0, handler });
    const { port } = await server.start();
    const connections = 6;
    const perConnection = 8;
    const clients = Array.from({ length: connections }, () => new MllpClient({ host: HOST, port, timeoutMs: 10_000 }));
    const ids: string[] = [];
    const visibleAtAck: boolean[] = [];
    try {
      await Promise.all(
        clients.map(async (client, c) => {
          for (let i = 0; i < perConnection; i++) {
            const id = uid(`N${c}-`);
            ids.push(id);
            const ack = parseAck(await client.send(siu(id, uid('BK'))));
            expect(ack).toMatchObject({ ackCode: 'AA', ackedControlId: id });
            // Read on another pooled connection: only a committed row is visible there.
            visibleAtAck.push((await rowsOf([id])).length === 1);
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
    }
    expect(visibleAtAck).toEqual(ids.map(() => true));
    const stored = await rowsOf(ids);
    expect(stored).toHaveLength(connections * perConnection);
    expect(new Set(stored.map((r) => r.message_id)).size).toBe(connections * perConnection);
    await handler.idle();
    expect(dispatched.filter((d) => ids.includes(d.messageId))).toHaveLength(connections * perConnection);
  });

  it('puts messages arriving together into one INSERT per batch', async () => {
    const spy = jest.spyOn(db, 'query');
    try {
      const ids = Array.from({ length: 40 }, () => uid('B-'));
      const acks = await Promise.all(ids.map((id) => handler(siu(id, uid('BK')), META)));
      expect(acks.map((a) => parseAck(a).ackCode)).toEqual(ids.map(() => 'AA'));
      // 40 messages handed over in the same turn of the event loop, at most 16 per batch.
      expect(inserts(spy)).toBe(3);
      expect(await rowsOf(ids)).toHaveLength(40);
    } finally {
      spy.mockRestore();
    }
  });

  it('stores a control id repeated inside one batch once, answers every copy AA and dispatches it once', async () => {
    const id = uid('DUP-');
    const raw = siu(id, uid('BK'));
    const others = Array.from({ length: 5 }, () => uid('D-'));
    const acks = await Promise.all([raw, raw, ...others.map((o) => siu(o, uid('BK'))), raw].map((m) => handler(m, META)));
    expect(acks.map((a) => parseAck(a).ackCode)).toEqual(acks.map(() => 'AA'));
    expect(await rowsOf([id])).toEqual([{ message_id: id, status: expect.stringMatching(/^(received|applied)$/) }]);
    expect(await rowsOf(others)).toHaveLength(5);
    await handler.idle();
    expect(dispatched.filter((d) => d.messageId === id)).toHaveLength(1);
  });

  it('answers no AA for a batch whose insert fails, and stores none of it', async () => {
    const ids = Array.from({ length: 6 }, (_v, i) => `${refusedPrefix}${i}`);
    const acks = await Promise.all(ids.map((id) => handler(siu(id, uid('BK')), META)));
    for (const a of acks.map((raw) => parseAck(raw))) {
      expect(a.ackCode).toBe('AR');
      expect(a.errors[0]).toMatchObject({ code: '207' });
    }
    expect(await rowsOf(ids)).toEqual([]);
  });

  it('answers the rest of a batch for itself when one of its rows is refused', async () => {
    const refused = `${refusedPrefix}-one`;
    const good = Array.from({ length: 5 }, () => uid('OK-'));
    const all = [good[0] ?? '', refused, ...good.slice(1)];
    const acks = await Promise.all(all.map((id) => handler(siu(id, uid('BK')), META)));
    const codes = Object.fromEntries(all.map((id, i) => [id, parseAck(acks[i] ?? '').ackCode]));
    expect(codes).toEqual({ ...Object.fromEntries(good.map((id) => [id, 'AA'])), [refused]: 'AR' });
    expect((await rowsOf(all)).map((r) => r.message_id).sort()).toEqual([...good].sort());
  });
});
