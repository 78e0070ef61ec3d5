import { randomBytes } from 'node:crypto';
import net from 'node:net';
import iconv from 'iconv-lite';
import type { DataSource } from 'typeorm';
import { buildAdt, parseAck } from '../../integrations/hospital/hl7';
import { createInboundHl7Handler, type InboundHl7Event, type InboxSecrets } from '../../integrations/hospital/inbound';
import { MllpDecoder, MllpServer, frame } from '../../integrations/hospital/mllp';
import { openTestDb } from '../helpers/db';
import { until } from '../helpers/poll';

const HOST = '127.0.0.1';
const FACILITY = `H${randomBytes(4).toString('hex').toUpperCase()}`;
let seq = 0;
const uid = (p: string) => `${p}${Date.now().toString(36).toUpperCase()}${++seq}`;

const secrets: InboxSecrets = {
  encrypt: (s) => `enc:${Buffer.from(s, 'utf8').toString('base64')}`,
  decrypt: (s) => Buffer.from(s.slice(4), 'base64').toString('utf8'),
};

function adt(controlId: string, characterSet: string, [familyName, givenName]: [string, string], doctorName: string): string {
  return buildAdt('A04', {
    sendingApplication: 'HIS',
    sendingFacility: FACILITY,
    controlId,
    version: '2.3.1',
    characterSet,
    bookingRef: uid('BK-'),
    doctor: { id: 'D1', name: doctorName },
    patient: { id: 'P-1', familyName, givenName },
  });
}

describe('MLLP inbound decodes each frame by its MSH-18 (real socket, real inbox)', () => {
  let db: DataSource;
  let server: MllpServer;
  let port: number;
  const dispatched: InboundHl7Event[] = [];
  let handler: ReturnType<typeof createInboundHl7Handler>;

  /** Sends the bytes framed on a fresh connection; resolves with the ACK's raw bytes. */
  async function exchange(bytes: Buffer): Promise<Buffer> {
    const socket = net.connect({ host: HOST, port });
    socket.on('error', () => undefined);
    const decoder = new MllpDecoder();
    const acks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => acks.push(...decoder.pushFrames(chunk)));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(frame(bytes));
    try {
      await until('an ACK', async () => acks.length > 0, { timeoutMs: 5_000, intervalMs: 20 });
    } finally {
      socket.destroy();
    }
    const [ack] = acks;
    if (ack === undefined) throw new Error('no ACK');
    return ack;
  }

  const stored = async (controlId: string): Promise<{ body: string; status: string; error: string | null }> => {
    const rows: Array<{ body_enc: string; status: string; error: string | null }> = await db.query(
      `SELECT body_enc, status, error FROM inbox_messages WHERE channel = 'hl7' AND message_id = $1`,
      [controlId],
    );
    expect(rows).toHaveLength(1);
    const [row] = rows;
    if (row === undefined) throw new Error('not stored');
    return { body: secrets.decrypt(row.body_enc), status: row.status, error: row.error };
  };

  const doctorDispatched = (controlId: string): string | undefined => {
    const e = dispatched.find((d) => d.header.controlId === controlId);
    return e?.kind === 'patient-registered' ? e.doctor?.name : undefined;
  };

  beforeAll(async () => {
    db = await openTestDb();
    handler = createInboundHl7Handler({ db, secrets, dispatch: async (event) => void dispatched.push(event) });
    server = new MllpServer({ host: HOST, port: 0, handler });
    ({ port } = await server.start());
  });

  afterAll(async () => {
    await server.stop();
    await handler.idle();
    await db.destroy();
  });

  it('8859/1: Émilie is stored and dispatched intact; the ACK is written and declared in 8859/1', async () => {
    const id = uid('L1-');
    const ackBytes = await exchange(iconv.encode(adt(id, '8859/1', ['Lefèvre', 'Émilie'], 'Émilie Dubois'), 'iso-8859-1'));
    const ack = iconv.decode(ackBytes, 'iso-8859-1');
    expect(ack.split('\r')[0]?.split('|')[17]).toBe('8859/1');
    expect(parseAck(ack)).toMatchObject({ ackCode: 'AA', ackedControlId: id });
    const row = await stored(id);
    expect(row.status).not.toBe('failed');
    expect(row.body).toContain('|Lefèvre^Émilie');
    await until('the A04 dispatched', async () => doctorDispatched(id) !== undefined, { timeoutMs: 5_000, intervalMs: 20 });
    expect(doctorDispatched(id)).toBe('Émilie Dubois');
  });

  it('GB 18030: a Chinese name is stored and dispatched intact', async () => {
    const id = uid('GB-');
    const ackBytes = await exchange(iconv.encode(adt(id, 'GB 18030-2000', ['欧阳', '娜娜'], '李医生'), 'gb18030'));
    const ack = iconv.decode(ackBytes, 'gb18030');
    expect(ack.split('\r')[0]?.split('|')[17]).toBe('GB 18030-2000');
    expect(parseAck(ack).ackCode).toBe('AA');
    expect((await stored(id)).body).toContain('|欧阳^娜娜');
    await until('the A04 dispatched', async () => doctorDispatched(id) !== undefined, { timeoutMs: 5_000, intervalMs: 20 });
    expect(doctorDispatched(id)).toBe('李医生');
  });

  it('an unknown MSH-18 is stored failed and answered AE with ERR naming MSH-18; the listener carries on', async () => {
    const id = uid('UK-');
    const bytes = Buffer.from(adt(id, 'EBCDIC', ['X', 'Y'], 'Z'), 'latin1');
    const ack = parseAck((await exchange(bytes)).toString('utf8'));
    expect(ack.ackCode).toBe('AE');
    expect(ack.errors[0]).toMatchObject({ code: '103', location: { segment: 'MSH', field: 18 } });
    const row = await stored(id);
    expect(row.status).toBe('failed');
    expect(row.error).toContain('MSH-18');
    expect(dispatched.find((d) => d.header.controlId === id)).toBeUndefined();
    const next = uid('OK-');
    expect(parseAck((await exchange(Buffer.from(adt(next, 'UNICODE UTF-8', ['张', '三'], '王医生')))).toString('utf8')).ackCode).toBe('AA');
  });
});
