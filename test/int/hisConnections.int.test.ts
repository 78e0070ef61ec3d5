import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { DataSource } from 'typeorm';
import { acceptAck, peekHeader } from '../../integrations/hospital/hl7';
import { MllpDecoder, frame } from '../../integrations/hospital/mllp';
import { HisLinkSettings, hisGateways } from '../../worker/hisGateways';
import { openTestDb } from '../helpers/db';

/**
 * A HIS interface that counts what matters here: the connections it was given and whether any
 * connection ever had two messages waiting for an ACK (MLLP allows one).
 */
async function startCountingHis() {
  const seen = { connections: 0, overlapping: 0, controlIds: [] as string[] };
  const server = net.createServer((socket) => {
    seen.connections += 1;
    const decoder = new MllpDecoder();
    let waiting = 0;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const message of decoder.push(chunk)) {
        waiting += 1;
        if (waiting > 1) seen.overlapping += 1;
        const header = peekHeader(message);
        seen.controlIds.push(header.controlId ?? '');
        // Answered on a later turn, so a client that did not wait for the ACK would be caught sending.
        setImmediate(() => {
          waiting -= 1;
          socket.write(frame(acceptAck(header)));
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    seen,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const arrival = (i: number) => ({ bookingRef: `BK-${i}`, patientRef: `PR-${i}`, doctorId: 'D1', departmentId: 'LAB' });

describe('outbound MLLP connections per hospital (institutions.settings.mllpConnections)', () => {
  let db: DataSource;
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    db = await openTestDb();
  });
  afterAll(async () => {
    // Gateways first: the HIS's server closes once their connections are gone.
    for (const stop of stops.reverse()) await stop();
    await db.destroy();
  });

  async function hospital(settings: object) {
    const his = await startCountingHis();
    stops.push(his.stop);
    const id = `M${randomBytes(4).toString('hex').toUpperCase()}`;
    await db.query(
      `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, mllp_host, mllp_port, settings)
       VALUES ($1, 'hospital', 'MLLP test', 'Asia/Shanghai', 'x', '127.0.0.1', $2, $3)`,
      [id, his.port, JSON.stringify(settings)],
    );
    const gateways = hisGateways(db, { timeoutMs: 5_000 });
    stops.push(gateways.close);
    return { id, his, gateways };
  }

  it('sends concurrent messages one at a time over a single connection by default, each getting its ACK', async () => {
    const { id, his, gateways } = await hospital({});
    // Twenty activities at once, opening the gateway together.
    const receipts = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await gateways.get(id)).registerArrival(arrival(i))));
    expect(his.seen.connections).toBe(1);
    expect(his.seen.overlapping).toBe(0);
    expect(receipts.map((r) => r.controlId).sort()).toEqual([...his.seen.controlIds].sort());
    expect(new Set(receipts.map((r) => r.controlId)).size).toBe(20);
  });

  it('opens up to the configured number of connections, still one message at a time on each', async () => {
    const { id, his, gateways } = await hospital({ mllpConnections: 3 });
    const receipts = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await gateways.get(id)).registerArrival(arrival(i))));
    // The booking refs are fixed, so which connection each goes to is too: all three are used.
    expect(his.seen.connections).toBe(3);
    expect(his.seen.overlapping).toBe(0);
    expect(new Set(receipts.map((r) => r.controlId)).size).toBe(20);
  });
});

describe('HisLinkSettings', () => {
  it.each([
    [{}, 1],
    [{ mllpConnections: 4 }, 4],
    [{ mllpConnections: 0 }, 1],
    [{ mllpConnections: 2.5 }, 1],
    [{ mllpConnections: 'two' }, 1],
    [{ mllpConnections: 99 }, 1],
    [null, 1],
    [{ policy: {}, mllpConnections: 2 }, 2],
  ])('%p gives %p connection(s)', (settings, connections) => {
    expect(HisLinkSettings.parse(settings).mllpConnections).toBe(connections);
  });
});
