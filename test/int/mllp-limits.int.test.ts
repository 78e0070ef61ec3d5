import { acceptAck, ackForError, buildSiu, parseAck, parseHl7, peekHeader } from '../../integrations/hospital/hl7';
import { MllpServer, frame } from '../../integrations/hospital/mllp';
import type { MllpLimits } from '../../integrations/hospital/mllp/limits';
import { ackFor as sendForAck, connectPeer, type MllpPeer } from '../helpers/mllpPeer';
import { until } from '../helpers/poll';

/**
 * The listener under hostile peers, over real loopback sockets: escape bombs, oversized, endless
 * and idle frames, connection floods, unknown sources. The listener must answer or close that one
 * connection, and keep serving everyone else.
 */
const HOST = '127.0.0.1';
/** Linux routes all of 127/8 to loopback: a second source address without a second machine. */
const OTHER = '127.0.0.2';

function siu(controlId: string, facility = 'HOSP_A'): string {
  return buildSiu('S12', {
    sendingApplication: 'HIS',
    sendingFacility: facility,
    controlId,
    sentAt: '2024-05-01T00:30:00.000Z',
    bookingRef: `BK-${controlId}`,
    slotStart: '2024-05-03T01:00:00.000Z',
    patient: { id: 'P1' },
  });
}

type Peer = MllpPeer;
const connect = connectPeer;
async function ackFor(peer: Peer, message: string): Promise<string> {
  return (await sendForAck(peer, message)) ?? '';
}

/** Answers like the real pipeline: parse, AA or an ACK built from the error. */
async function parsingHandler(message: string): Promise<string> {
  try {
    parseHl7(message);
    return acceptAck(peekHeader(message));
  } catch (err) {
    return ackForError(peekHeader(message), err);
  }
}

async function startServer(limits: Partial<MllpLimits>, extra: { allowSource?: (a: string) => boolean } = {}) {
  const handled: string[] = [];
  const server = new MllpServer({
    host: HOST,
    port: 0,
    limits,
    ...extra,
    handler: async (m) => {
      handled.push(m);
      return parsingHandler(m);
    },
    drainTimeoutMs: 500,
  });
  const { port } = await server.start();
  return { server, port, handled };
}

describe('MLLP listener limits', () => {
  it('answers an escape bomb in the header and body with AE and keeps serving', async () => {
    const { server, port } = await startServer({});
    try {
      const peer = await connect(port);
      const headerBomb = siu('BOMB1').replace('BOMB1', '\\.sp999999999\\');
      const bodyBomb = siu('BOMB2').replace('BK-BOMB2', '\\.sp999999999\\');
      expect(parseAck(await ackFor(peer, headerBomb)).ackCode).toMatch(/^A[ER]$/);
      const second = parseAck(await ackFor(peer, bodyBomb));
      expect(second).toMatchObject({ ackCode: 'AE', ackedControlId: 'BOMB2' });
      expect(parseAck(await ackFor(peer, siu('FINE1')))).toMatchObject({ ackCode: 'AA', ackedControlId: 'FINE1' });
      peer.socket.destroy();
    } finally {
      await server.stop();
    }
  });

  it('closes a connection whose frame exceeds maxFrameBytes, and serves the next one', async () => {
    const { server, port, handled } = await startServer({ maxFrameBytes: 64 * 1024 });
    try {
      const big = await connect(port);
      big.socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.alloc(200 * 1024, 0x41)]));
      await until('the oversized frame closes its connection', async () => big.closed(), { timeoutMs: 5_000, intervalMs: 20 });
      expect(handled).toHaveLength(0);
      const next = await connect(port);
      expect(parseAck(await ackFor(next, siu('AFTER1'))).ackCode).toBe('AA');
      next.socket.destroy();
    } finally {
      await server.stop();
    }
  });

  it('closes a frame never terminated within the read timeout, and an idle connection after the idle timeout', async () => {
    const { server, port } = await startServer({ readTimeoutMs: 300, idleTimeoutMs: 600 });
    try {
      const endless = await connect(port);
      const idle = await connect(port);
      const started = Date.now();
      // A start block and a trickle of bytes, so the idle timer never fires: only the read timeout can end it.
      endless.socket.write(Buffer.from([0x0b, 0x4d]));
      const trickle = setInterval(() => endless.socket.write('S'), 100);
      try {
        await until('the endless frame is cut', async () => endless.closed(), { timeoutMs: 5_000, intervalMs: 20 });
      } finally {
        clearInterval(trickle);
      }
      await until('the idle connection is closed', async () => idle.closed(), { timeoutMs: 5_000, intervalMs: 20 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(server.openConnections).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('caps connections per source address and in total', async () => {
    const { server, port } = await startServer({ maxConnectionsPerPeer: 3, maxConnections: 5 });
    const peers: Peer[] = [];
    try {
      for (let i = 0; i < 3; i++) peers.push(await connect(port, OTHER));
      await until('three connections admitted', async () => server.openConnections === 3, { timeoutMs: 5_000, intervalMs: 20 });
      const fourth = await connect(port, OTHER);
      await until('the fourth from the same address is refused', async () => fourth.closed(), { timeoutMs: 5_000, intervalMs: 20 });
      // Another address still gets in, up to the total cap.
      const a = await connect(port, HOST);
      const b = await connect(port, HOST);
      peers.push(a, b);
      expect(parseAck(await ackFor(a, siu('CAP1'))).ackCode).toBe('AA');
      const overTotal = await connect(port, HOST);
      await until('the connection over the total cap is refused', async () => overTotal.closed(), { timeoutMs: 5_000, intervalMs: 20 });
      expect(peers.every((p) => !p.closed())).toBe(true);
    } finally {
      for (const p of peers) p.socket.destroy();
      await server.stop();
    }
  });

  it('refuses an unknown source address at accept, before reading a byte', async () => {
    const { server, port, handled } = await startServer({}, { allowSource: (address) => address === HOST });
    try {
      const stranger = await connect(port, OTHER);
      stranger.socket.write(frame(siu('STRANGER1')));
      await until('the unknown source is closed', async () => stranger.closed(), { timeoutMs: 5_000, intervalMs: 20 });
      expect(stranger.acks).toHaveLength(0);
      expect(handled).toHaveLength(0);
      const known = await connect(port, HOST);
      expect(parseAck(await ackFor(known, siu('KNOWN1'))).ackCode).toBe('AA');
      known.socket.destroy();
    } finally {
      await server.stop();
    }
  });

  it('answers AR when the handler itself throws, and keeps the connection', async () => {
    const server = new MllpServer({
      host: HOST,
      port: 0,
      handler: async (m) => {
        if (m.includes('THROW')) throw new Error('handler bug');
        return acceptAck(peekHeader(m));
      },
    });
    const { port } = await server.start();
    try {
      const peer = await connect(port);
      expect(parseAck(await ackFor(peer, siu('THROW1'))).ackCode).toBe('AR');
      expect(parseAck(await ackFor(peer, siu('OK1'))).ackCode).toBe('AA');
      peer.socket.destroy();
    } finally {
      await server.stop();
    }
  });
});
