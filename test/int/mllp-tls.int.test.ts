import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../domain/errors';
import { acceptAck, buildAdt, peekHeader } from '../../integrations/hospital/hl7';
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
