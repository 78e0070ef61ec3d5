import net from 'node:net';
import tls from 'node:tls';
import { MllpDecoder, frame } from '../../integrations/hospital/mllp';
import { until } from './poll';

/** A hand-rolled MLLP peer on a chosen source address (all of 127/8 is loopback on Linux). */
export interface MllpPeer {
  socket: net.Socket;
  acks: string[];
  closed: () => boolean;
}

function wrap(socket: net.Socket): MllpPeer {
  socket.on('error', () => undefined);
  const decoder = new MllpDecoder();
  const acks: string[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => acks.push(...decoder.push(chunk)));
  socket.on('close', () => (closed = true));
  return { socket, acks, closed: () => closed };
}

export async function connectPeer(port: number, localAddress = '127.0.0.1', host = '127.0.0.1'): Promise<MllpPeer> {
  const socket = net.connect({ host, port, localAddress });
  const peer = wrap(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return peer;
}

/** A TLS peer; resolves once the handshake is done, rejects when the server refuses it. */
export async function connectTlsPeer(port: number, options: tls.ConnectionOptions): Promise<MllpPeer> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options });
  const peer = wrap(socket);
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  return peer;
}

/** Sends one framed message and waits for the next ACK (undefined if the peer closed first). */
export async function ackFor(peer: MllpPeer, message: string, timeoutMs = 5_000): Promise<string | undefined> {
  const before = peer.acks.length;
  peer.socket.write(frame(message));
  await until('an ACK or a close', async () => peer.acks.length > before || peer.closed(), { timeoutMs, intervalMs: 20 });
  return peer.acks[before];
}
