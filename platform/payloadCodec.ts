import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * Every Temporal payload (workflow inputs, results, signals, activity arguments) is encrypted with
 * AES-256-GCM before it leaves the process, so the Temporal server, its database and the Web UI never
 * hold journey data in the clear. The key id travels in the metadata so keys can rotate.
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
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
      const keyId = keyIdBytes ? decoder.decode(keyIdBytes) : '';
      const key = this.keys.get(keyId);
      if (!key) throw new Error(`payload encrypted with unknown key id ${JSON.stringify(keyId)}`);
      const raw = Buffer.from(payload.data ?? new Uint8Array());
      if (raw.length < 28) throw new Error('encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

export function createPayloadCodec(opts: PayloadCodecOptions): EncryptionCodec {
  return new EncryptionCodec(opts);
}
