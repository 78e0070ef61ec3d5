import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type tls from 'node:tls';
import type { DataSource } from 'typeorm';
import { createSenderCheck } from '../../api/hospital/senderCheck';
import { mllpTls } from '../../api/server';
import { createInboundHl7Handler, type InboundHl7Handler } from '../../integrations/hospital/inbound';
import { loadConfig } from '../../platform/config';
import { openTestDb } from '../helpers/db';
import { ackFor, connectTlsPeer, type MllpPeer } from '../helpers/mllpPeer';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../domain/errors';
import { acceptAck, buildAdt, parseAck, peekHeader } from '../../integrations/hospital/hl7';
import { MllpClient, MllpServer } from '../../integrations/hospital/mllp';

/** A throwaway self-signed certificate for localhost, made with the openssl CLI when it exists. */
function selfSigned(): { key: string; cert: string; cleanup: () => void } | string {
  if (spawnSync('openssl', ['version']).status !== 0) return 'the openssl CLI is not installed';
  const dir = mkdtempSync(join(tmpdir(), 'mllp-tls-'));
  const args = [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ];
  const made = spawnSync('openssl', [...args, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  if (made.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `openssl could not create a certificate: ${made.stderr.toString().slice(0, 200)}`;
  }
  return {
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const material = selfSigned();
const skipReason = typeof material === 'string' ? material : undefined;
if (skipReason) console.warn(`MLLP TLS tests skipped: ${skipReason}`);
const describeTls = skipReason ? describe.skip : describe;

const message = buildAdt('A04', {
  sendingApplication: 'CAUSEWAY',
  sendingFacility: 'CAUSEWAY',
  controlId: 'TLS1',
  patient: { id: 'P1', familyName: '张' },
  bookingRef: 'BK-TLS',
});

describeTls('MLLP over TLS', () => {
  let server: MllpServer;
  let port: number;
  const seen: string[] = [];

  beforeAll(async () => {
    if (typeof material === 'string') return;
    server = new MllpServer({
      host: '127.0.0.1',
      port: 0,
      tls: { key: material.key, cert: material.cert },
      handler: async (m) => {
        seen.push(m);
        return acceptAck(peekHeader(m));
      },
    });
    ({ port } = await server.start());
  });

  afterAll(async () => {
    await server?.stop();
    if (typeof material !== 'string') material.cleanup();
  });

  it('exchanges a message and its ACK when the client trusts the certificate', async () => {
    if (typeof material === 'string') return;
    const client = new MllpClient({ host: '127.0.0.1', port, timeoutMs: 3_000, tls: { ca: material.cert, servername: 'localhost' } });
    await expect(client.sendChecked(message)).resolves.toMatchObject({ ackCode: 'AA', ackedControlId: 'TLS1' });
    expect(seen).toEqual([message]);
    await client.close();
  });

  it('refuses a server whose certificate the client does not trust', async () => {
    const client = new MllpClient({ host: '127.0.0.1', port, timeoutMs: 3_000, tls: { servername: 'localhost' } });
    await expect(client.send(message)).rejects.toMatchObject({
      code: ErrorCode.CounterpartUnavailable,
      message: expect.stringMatching(/self[- ]signed/i),
    });
  });

  it('gets nothing from a plain-TCP client speaking to the TLS port', async () => {
    const client = new MllpClient({ host: '127.0.0.1', port, timeoutMs: 500 });
    await expect(client.send(message)).rejects.toMatchObject({ code: ErrorCode.CounterpartUnavailable });
  });
});

/** A CA, certificates it signs, and a second unrelated CA, made with the openssl CLI in a temp folder. */
function pki(): {
  dir: string;
  path: (f: string) => string;
  read: (f: string) => string;
  issue: (name: string, cn: string, ca?: string) => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'mllp-mtls-'));
  const path = (f: string) => join(dir, f);
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString().slice(0, 300)}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'rogue-ca']) {
    run(['req', '-x509', ...ec, '-days', '1', '-subj', `/CN=${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.pem`]);
  }
  writeFileSync(path('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const issue = (name: string, cn: string, ca = 'ca') => {
    run(['req', ...ec, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    const ext = name === 'server' ? ['-extfile', 'server.ext'] : [];
    run([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      `${name}.pem`,
      ...ext,
    ]);
  };
  return { dir, path, read: (f) => readFileSync(path(f), 'utf8'), issue };
}

describeTls('MLLP over mutual TLS (client certificates name the hospital)', () => {
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const A = `MA${tag}`;
  const B = `MB${tag}`;
  let db: DataSource;
  let server: MllpServer;
  let handler: InboundHl7Handler;
  let port: number;
  let certs: ReturnType<typeof pki>;
  const peers: MllpPeer[] = [];

  const adt = (controlId: string, facility: string) =>
    buildAdt('A04', {
      sendingApplication: 'HIS',
      sendingFacility: facility,
      controlId,
      patient: { id: 'P1' },
      bookingRef: `BK-${controlId}`,
    });
  const client = (name?: string, ca = 'ca'): tls.ConnectionOptions => ({
    ca: certs.read(`${ca}.pem`),
    ...(name ? { key: certs.read(`${name}.key`), cert: certs.read(`${name}.pem`) } : {}),
  });
  const send = async (opts: tls.ConnectionOptions, message: string) => {
    const peer = await connectTlsPeer(port, opts);
    peers.push(peer);
    const ack = await ackFor(peer, message);
    peer.socket.destroy();
    return ack === undefined ? undefined : parseAck(ack);
  };

  beforeAll(async () => {
    certs = pki();
    certs.issue('server', 'localhost');
    certs.issue('hospital-a', A);
    certs.issue('rogue-a', A, 'rogue-ca');
    db = await openTestDb();
    // No registered source addresses: only the certificate can identify these hospitals.
    for (const id of [A, B]) {
      await db.query(
        `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings) VALUES ($1, 'hospital', $1, 'Asia/Shanghai', 'x', '{}')`,
        [id],
      );
    }
    handler = createInboundHl7Handler({
      db,
      secrets: { encrypt: (s) => `enc:${s}`, decrypt: (s) => s.slice(4) },
      dispatch: async () => undefined,
      authorizeSender: createSenderCheck(db),
    });
    // The same config path the API uses (MLLP_TLS_KEY_PATH / _CERT_PATH / _CA_PATH).
    const tlsOpts = mllpTls({
      ...loadConfig({
        PII_KEYS: 'k1:AAAA',
        PII_ACTIVE_KEY_ID: 'k1',
        PII_HMAC_KEY: 'x'.repeat(16),
        PAYLOAD_CODEC_KEYS: 'k1:AAAA',
        PAYLOAD_CODEC_ACTIVE_KEY_ID: 'k1',
      }),
      MLLP_TLS_KEY_PATH: certs.path('server.key'),
      MLLP_TLS_CERT_PATH: certs.path('server.pem'),
      MLLP_TLS_CA_PATH: certs.path('ca.pem'),
    });
    server = new MllpServer({
      host: '127.0.0.1',
      port: 0,
      handler,
      ...(tlsOpts ? { tls: tlsOpts } : {}),
      // Unregistered address: without the certificate path this listener would refuse everyone.
      allowSource: () => false,
      drainTimeoutMs: 500,
    });
    ({ port } = await server.start());
  });

  afterAll(async () => {
    for (const p of peers) p.socket.destroy();
    await server?.stop();
    await handler?.idle();
    await db?.destroy();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('accepts hospital A with a certificate from the CA whose CN is A (AA, stored under A)', async () => {
    const ack = await send(client('hospital-a'), adt(`MT${tag}1`, A));
    expect(ack).toMatchObject({ ackCode: 'AA', ackedControlId: `MT${tag}1` });
    const rows: Array<{ institution_id: string }> = await db.query(`SELECT institution_id FROM inbox_messages WHERE message_id = $1`, [
      `MT${tag}1`,
    ]);
    expect(rows).toEqual([{ institution_id: A }]);
  });

  it('answers AR when A’s certificate sends MSH-4 of B', async () => {
    const ack = await send(client('hospital-a'), adt(`MT${tag}2`, B));
    expect(ack?.ackCode).toBe('AR');
    const rows: unknown[] = await db.query(`SELECT 1 FROM inbox_messages WHERE message_id = $1`, [`MT${tag}2`]);
    expect(rows).toEqual([]);
  });

  it('refuses a client without a certificate', async () => {
    const outcome = await send(client(), adt(`MT${tag}3`, A)).catch((err: unknown) => err);
    expect(outcome === undefined || outcome instanceof Error).toBe(true);
    const rows: unknown[] = await db.query(`SELECT 1 FROM inbox_messages WHERE message_id = $1`, [`MT${tag}3`]);
    expect(rows).toEqual([]);
  });

  it('refuses a client whose certificate (CN = A) comes from another CA', async () => {
    const outcome = await send(client('rogue-a'), adt(`MT${tag}4`, A)).catch((err: unknown) => err);
    // TLS 1.3 may finish the client's side of the handshake before the server rejects it: either way, no ACK.
    expect(outcome === undefined || outcome instanceof Error).toBe(true);
    const rows: unknown[] = await db.query(`SELECT 1 FROM inbox_messages WHERE message_id = $1`, [`MT${tag}4`]);
    expect(rows).toEqual([]);
  });
});
