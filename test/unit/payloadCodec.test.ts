import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { createPayloadCodec, PayloadRefusedError, UnencryptedPayloadError } from '../../platform/payloadCodec';

/** The codec decodes only what a holder of the key encrypted; everything else is refused, not passed through. */
const key = randomBytes(32).toString('base64');
const codec = createPayloadCodec({ keys: { k1: key }, activeKeyId: 'k1' });
const enc = new TextEncoder();
const json = (v: unknown) => ({ metadata: { encoding: enc.encode('json/plain') }, data: enc.encode(JSON.stringify(v)) });

describe('EncryptionCodec', () => {
  it('round-trips any payload', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (v) => {
        const [encoded] = await codec.encode([json(v)]);
        const [decoded] = await codec.decode([encoded!]);
        expect(Buffer.from(decoded!.data!).toString()).toBe(JSON.stringify(v));
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a payload without our encryption metadata (a plain JSON signal from a client without the codec)', async () => {
    await expect(codec.decode([json({ tradeStatus: 'TRADE_SUCCESS' })])).rejects.toBeInstanceOf(UnencryptedPayloadError);
    await expect(codec.decode([{ metadata: {}, data: new Uint8Array() }])).rejects.toBeInstanceOf(UnencryptedPayloadError);
  });

  it('refuses altered ciphertext, a foreign key and an unknown key id', async () => {
    const [good] = await codec.encode([json('x')]);
    const altered = { ...good!, data: Uint8Array.from(good!.data!, (b, i) => (i === 14 ? b ^ 1 : b)) };
    await expect(codec.decode([altered])).rejects.toBeInstanceOf(PayloadRefusedError);
    const other = createPayloadCodec({ keys: { k1: randomBytes(32).toString('base64') }, activeKeyId: 'k1' });
    await expect(other.decode([good!])).rejects.toBeInstanceOf(PayloadRefusedError);
    const unknown = { ...good!, metadata: { ...good!.metadata, 'encryption-key-id': enc.encode('k9') } };
    await expect(codec.decode([unknown])).rejects.toThrow(/unknown key id "k9"/);
    await expect(codec.decode([{ ...good!, data: good!.data!.subarray(0, 20) }])).rejects.toThrow(/truncated/);
  });
});
