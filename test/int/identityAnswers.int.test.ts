import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode } from '../../domain/errors';
import { HttpIdentityProvider, startIdentitySimulator, type IdentitySimulator } from '../../integrations/identity';
import { rejection } from '../helpers/payment';

/** Issue 8: the identity provider's answers are signed for the very request, and the adapter believes nothing else. */
const SECRET = 'identity-int-secret';
const query = { legalName: 'Li Lei', idNumber: '11010519491231002X' };
let genuine: IdentitySimulator;
let impostor: IdentitySimulator;
let unsigned: Server;
let unsignedUrl: string;

beforeAll(async () => {
  genuine = await startIdentitySimulator({ sharedSecret: SECRET });
  impostor = await startIdentitySimulator({ sharedSecret: SECRET, answerSecret: 'not-the-shared-secret' });
  // What an attacker on the path would answer: a well-formed verdict with no (or a copied) signature.
  unsigned = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-signature': 'ab'.repeat(32) }).end('{"result":"match"}');
  });
  await new Promise<void>((r) => unsigned.listen(0, '127.0.0.1', r));
  unsignedUrl = `http://127.0.0.1:${(unsigned.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await genuine?.stop();
  await impostor?.stop();
  await new Promise((r) => unsigned?.close(r));
});

describe('identity provider answers', () => {
  it('believes a signed answer', async () => {
    expect(await new HttpIdentityProvider({ baseUrl: genuine.url, sharedSecret: SECRET }).verify(query)).toBe('match');
  });

  it('treats an answer signed with another key, or not signed for this request, as no answer (retryable, never a verdict)', async () => {
    for (const baseUrl of [impostor.url, unsignedUrl]) {
      const err = await rejection(new HttpIdentityProvider({ baseUrl, sharedSecret: SECRET }).verify(query));
      expect(err.code).toBe(ErrorCode.IdentityProviderDown);
      expect(err.message).toContain('not signed');
    }
  });
});
