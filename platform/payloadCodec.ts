import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * Every Temporal payload (workflow inputs, results, signals, activity arguments, memos, and with the
 * failure converter in codecFailureConverter.ts failure messages) is encrypted with AES-256-GCM before it
 * leaves the process, so the Temporal server, its database and the Web UI never hold journey data in the
 * clear. The key id travels in the metadata so keys can rotate.
 *
 * Decoding is strict: a payload without our encryption metadata is refused, never passed through. GCM
 * authenticates, so an accepted payload was written by a holder of the key — not by anyone who can merely
 * reach the Temporal frontend (a signal "paid" from a raw client must not count). The SDK never hands
 * headers or search attributes to codecs, and everything else Causeway's clients and workers send is
 * encoded, so nothing legitimate arrives in the clear. The Web UI's display path is lenient on purpose
 * (`decodeForDisplay`): showing a foreign payload as it is grants nothing.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface PayloadCodecOptions {
  keys: Record<string, string>;
  activeKeyId: string;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly opts: PayloadCodecOptions) {
    for (const [id, b64] of Object.entries(opts.keys)) {
      const key = Buffer.from(b64, 'base64');
      if (key.length !== 32) throw new Error(`payload codec key ${id} must be 32 bytes (base64)`);
      this.keys.set(id, key);
    }
    if (!this.keys.has(opts.activeKeyId)) throw new Error(`active payload codec key ${opts.activeKeyId} is not among the keys`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.opts.activeKeyId;
    const key = this.keys.get(keyId) as Buffer;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: encoder.encode(keyId) },
        data: new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), ct])),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncryptedPayload(payload)) throw new UnencryptedPayloadError();
      return this.decrypt(payload);
    });
  }

  /** For the Web UI: decrypts ours, returns anything else unchanged, and counts what it decrypted. */
  async decodeForDisplay(payloads: Payload[]): Promise<{ payloads: Payload[]; decrypted: number }> {
    let decrypted = 0;
    const out = payloads.map((payload) => {
      if (!isEncryptedPayload(payload)) return payload;
      decrypted++;
      return this.decrypt(payload);
    });
    return { payloads: out, decrypted };
  }

  private decrypt(payload: Payload): Payload {
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
    const keyId = keyIdBytes ? decoder.decode(keyIdBytes) : '';
    const key = this.keys.get(keyId);
    if (!key) throw new PayloadRefusedError(`payload encrypted with unknown key id ${JSON.stringify(keyId.slice(0, 64))}`);
    const raw = Buffer.from(payload.data ?? new Uint8Array());
    if (raw.length < 28) throw new PayloadRefusedError('encrypted payload is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    } catch {
      throw new PayloadRefusedError('encrypted payload failed authentication (altered, or not ours)');
    }
  }
}

/** A payload the codec will not decode. Messages name no content. */
export class PayloadRefusedError extends Error {
  override readonly name: string = 'PayloadRefusedError';
}

export class UnencryptedPayloadError extends PayloadRefusedError {
  override readonly name: string = 'UnencryptedPayloadError';
  constructor() {
    super('refused a Temporal payload without Causeway encryption metadata (sent by a client without the payload codec?)');
  }
}

export function isEncryptedPayload(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && decoder.decode(encoding) === ENCRYPTED_ENCODING;
}

export function createPayloadCodec(opts: PayloadCodecOptions): EncryptionCodec {
  return new EncryptionCodec(opts);
}
