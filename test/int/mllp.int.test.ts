import net from 'node:net';
import { DomainError, ErrorCode } from '../../domain/errors';
import { acceptAck, ackForError, buildSiu, parseAck, parseHl7, peekHeader } from '../../integrations/hospital/hl7';
import { MllpClient, MllpDecoder, MllpServer, frame } from '../../integrations/hospital/mllp';

const HOST = '127.0.0.1';

function siu(controlId: string, reason = '胸闷 | 心悸'): string {
  return buildSiu('S12', {
    sendingApplication: 'HIS',
    sendingFacility: 'BJPUMC',
    controlId,
    sentAt: '2024-05-01T00:30:00.000Z',
    bookingRef: `BK-${controlId}`,
    slotStart: '2024-05-03T01:00:00.000Z',
    patient: { id: 'P1' },
    appointmentReason: { text: reason },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw TCP peer that records the ACK frames it receives. */
async function rawPeer(port: number) {
  const socket = net.connect({ host: HOST, port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const decoder = new MllpDecoder();
  const acks: string[] = [];
  socket.on('data', (chunk: Buffer) => acks.push(...decoder.push(chunk)));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const waitForAcks = async (n: number) => {
    for (let i = 0; i < 200 && acks.length < n; i++) await sleep(10);
    expect(acks.length).toBeGreaterThanOrEqual(n);
    return acks.map((a) => parseAck(a).ackedControlId);
  };
  return { socket, acks, closed, waitForAcks };
}

describe('MllpServer over loopback', () => {
  let server: MllpServer;
  let port: number;
  const received: string[] = [];
  const log: string[] = [];
  let delays: Record<string, number> = {};

  beforeAll(async () => {
    server = new MllpServer({
      host: HOST,
      port: 0,
      maxFrameBytes: 64 * 1024,
      handler: async (message) => {
        const header = peekHeader(message);
        const id = header.controlId ?? '?';
        log.push(`start ${id}`);
        await sleep(delays[id] ?? 0);
        received.push(message);
        log.push(`end ${id}`);
        // Validate like the real adapter would: a broken message becomes an AE via the thrown error.
        parseHl7(message);
        return acceptAck(header);
      },
    });
    ({ port } = await server.start());
  });

  afterAll(() => server.stop());

  beforeEach(() => {
    received.length = 0;
    log.length = 0;
    delays = {};
  });

  it('reassembles a frame written in small pieces, UTF-8 characters split included', async () => {
    const peer = await rawPeer(port);
    const bytes = frame(siu('SPLIT1'));
    for (let i = 0; i < bytes.length; i += 7) {
      peer.socket.write(bytes.subarray(i, i + 7));
      await sleep(1);
    }
    expect(await peer.waitForAcks(1)).toEqual(['SPLIT1']);
    expect(received).toEqual([siu('SPLIT1')]);
    peer.socket.destroy();
  });

  it('answers several frames sent in one write, in order', async () => {
    const peer = await rawPeer(port);
    peer.socket.write(Buffer.concat([Buffer.from('junk'), frame(siu('M1')), frame(siu('M2')), frame(siu('M3'))]));
    expect(await peer.waitForAcks(3)).toEqual(['M1', 'M2', 'M3']);
    peer.socket.destroy();
  });

  it('handles one connection strictly in order, while other connections proceed', async () => {
    delays = { SLOW: 150, FAST: 0, OTHER: 0 };
    const a = await rawPeer(port);
    const b = await rawPeer(port);
    // Separate writes, so FAST arrives while SLOW is still in the handler.
    a.socket.write(frame(siu('SLOW')));
    await sleep(30);
    a.socket.write(frame(siu('FAST')));
    b.socket.write(frame(siu('OTHER')));
    expect(await a.waitForAcks(2)).toEqual(['SLOW', 'FAST']);
    expect(await b.waitForAcks(1)).toEqual(['OTHER']);
    // FAST did not start before SLOW ended; OTHER, on its own connection, ran meanwhile.
    expect(log.indexOf('start FAST')).toBeGreaterThan(log.indexOf('end SLOW'));
    expect(log.indexOf('end OTHER')).toBeLessThan(log.indexOf('end SLOW'));
    a.socket.destroy();
    b.socket.destroy();
  });

  it('closes the connection on an oversized frame without calling the handler', async () => {
    const peer = await rawPeer(port);
    peer.socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.alloc(70 * 1024, 0x41)]));
    await peer.closed;
    expect(received).toEqual([]);
    // The listener itself keeps serving.
    const client = new MllpClient({ host: HOST, port, timeoutMs: 2_000 });
    expect(parseAck(await client.send(siu('AFTER'))).ackCode).toBe('AA');
    await client.close();
  });

  it('answers a message the handler rejects with AE, which sendChecked turns into Hl7Rejected', async () => {
    const client = new MllpClient({ host: HOST, port, timeoutMs: 2_000 });
    const broken = siu('BROKEN').replace('PID|1||P1', 'PID|1||');
    let caught: unknown;
    try {
      await client.sendChecked(broken);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect(caught).toMatchObject({
      code: ErrorCode.Hl7Rejected,
      details: {
        ackCode: 'AE',
        ackedControlId: 'BROKEN',
        errors: [expect.objectContaining({ code: '101', location: expect.objectContaining({ segment: 'PID', field: 3 }) })],
      },
    });
    // The same connection carries on.
    await expect(client.sendChecked(siu('GOOD'))).resolves.toMatchObject({ ackCode: 'AA', ackedControlId: 'GOOD' });
    await client.close();
  });
});

/** A bare MLLP peer under the test's control: counts connections and answers only when told to. */
async function scriptedPeer(answer: (message: string, connection: number) => string | undefined) {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const n = ++connections;
    sockets.add(socket);
    const decoder = new MllpDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const m of decoder.push(chunk)) {
        const ack = answer(m, n);
        if (ack !== undefined) socket.write(frame(ack));
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    connections: () => connections,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('MllpClient', () => {
  it('reuses one connection for consecutive sends', async () => {
    const peer = await scriptedPeer((m) => acceptAck(peekHeader(m)));
    const client = new MllpClient({ host: HOST, port: peer.port, timeoutMs: 2_000 });
    const acks = await Promise.all(['R1', 'R2', 'R3'].map((id) => client.send(siu(id))));
    expect(acks.map((a) => parseAck(a).ackedControlId)).toEqual(['R1', 'R2', 'R3']);
    expect(peer.connections()).toBe(1);
    await client.close();
    await peer.close();
  });

  it('times out with CounterpartUnavailable, then reconnects for the next send', async () => {
    const peer = await scriptedPeer((m, connection) => (connection === 1 ? undefined : acceptAck(peekHeader(m))));
    const client = new MllpClient({ host: HOST, port: peer.port, timeoutMs: 200 });
    const started = Date.now();
    await expect(client.send(siu('LOST'))).rejects.toMatchObject({
      code: ErrorCode.CounterpartUnavailable,
      message: expect.stringMatching(/no ACK within 200 ms/),
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(parseAck(await client.send(siu('RETRY'))).ackedControlId).toBe('RETRY');
    expect(peer.connections()).toBe(2);
    await client.close();
    await peer.close();
  });

  it('reports a refused connection as CounterpartUnavailable', async () => {
    const peer = await scriptedPeer(() => undefined);
    const { port } = peer;
    await peer.close();
    const client = new MllpClient({ host: HOST, port, timeoutMs: 1_000 });
    await expect(client.send(siu('NOBODY'))).rejects.toMatchObject({ code: ErrorCode.CounterpartUnavailable });
  });

  it('rejects an ACK for another message', async () => {
    const peer = await scriptedPeer((m) => acceptAck({ ...peekHeader(m), controlId: 'SOMETHING-ELSE' }));
    const client = new MllpClient({ host: HOST, port: peer.port, timeoutMs: 1_000 });
    await expect(client.sendChecked(siu('MINE'))).rejects.toMatchObject({ code: ErrorCode.Hl7Malformed, details: { field: 'MSA-2' } });
    await client.close();
    await peer.close();
  });

  it('surfaces AR from the counterpart as Hl7Rejected', async () => {
    const peer = await scriptedPeer((m) => ackForError(peekHeader(m), new Error('HIS database down')));
    const client = new MllpClient({ host: HOST, port: peer.port, timeoutMs: 1_000 });
    await expect(client.sendChecked(siu('AR1'))).rejects.toMatchObject({
      code: ErrorCode.Hl7Rejected,
      details: { ackCode: 'AR', errors: [expect.objectContaining({ code: '207' })] },
    });
    await client.close();
    await peer.close();
  });
});

describe('MllpServer.stop', () => {
  it('answers the message in flight, then closes and refuses new connections', async () => {
    let started!: () => void;
    const handlerStarted = new Promise<void>((r) => (started = r));
    const server = new MllpServer({
      host: HOST,
      port: 0,
      handler: async (message) => {
        started();
        await sleep(200);
        return acceptAck(peekHeader(message));
      },
    });
    const { port } = await server.start();
    const client = new MllpClient({ host: HOST, port, timeoutMs: 2_000 });
    const ack = client.send(siu('INFLIGHT'));
    await handlerStarted;
    const stopped = server.stop();
    expect(parseAck(await ack).ackedControlId).toBe('INFLIGHT');
    await stopped;
    const late = new MllpClient({ host: HOST, port, timeoutMs: 500 });
    await expect(late.send(siu('LATE'))).rejects.toMatchObject({ code: ErrorCode.CounterpartUnavailable });
  });
});
