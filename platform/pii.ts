import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { DomainError, ErrorCode } from '../domain/errors';

/**
 * PII at rest: AES-256-GCM, each value stored as `v1.<keyId>.<base64(iv | tag | ciphertext)>` so keys
 * can rotate (new values use the active key, old ones still decrypt); lookups go through a keyed
 * hash so no column holds a value in the clear.
 */
export interface PiiCipherOptions {
  /** keyId → base64 of 32 random bytes */
  keys: Record<string, string>;
  activeKeyId: string;
  hmacKey: string;
}

export class PiiCipher {
  private readonly keys = new Map<string, Buffer>();
  private readonly activeKeyId: string;
  private readonly hmacKey: Buffer;

  constructor(opts: PiiCipherOptions) {
    for (const [id, b64] of Object.entries(opts.keys)) {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`PII key id ${JSON.stringify(id)} must be 1-32 letters, digits, _ or -`);
      const key = Buffer.from(b64, 'base64');
      if (key.length !== 32) throw new Error(`PII key ${id} must be 32 bytes (base64)`);
      this.keys.set(id, key);
    }
    if (!this.keys.has(opts.activeKeyId)) throw new Error(`active PII key ${opts.activeKeyId} is not among the keys`);
    this.activeKeyId = opts.activeKeyId;
    this.hmacKey = Buffer.from(opts.hmacKey, 'utf8');
  }

  encrypt(plaintext: string): string {
    const key = this.keys.get(this.activeKeyId) as Buffer;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // The key id is authenticated too, so a value cannot be moved under another key id.
    cipher.setAAD(Buffer.from(this.activeKeyId));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1.${this.activeKeyId}.${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
  }

  decrypt(stored: string): string {
    const [version, keyId, body] = stored.split('.');
    if (version !== 'v1' || !keyId || body === undefined) throw new DomainError(ErrorCode.Internal, 'not an encrypted PII value');
    const key = this.keys.get(keyId);
    if (!key) throw new DomainError(ErrorCode.Internal, `PII key ${keyId} is not configured`);
    const raw = Buffer.from(body, 'base64');
    if (raw.length < 28) throw new DomainError(ErrorCode.Internal, 'encrypted PII value is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new DomainError(ErrorCode.Internal, 'encrypted PII value failed authentication');
    }
  }

  /** Keyed hash for equality lookups, separated by kind so an ID hash never equals a phone hash. */
  lookupHash(kind: string, value: string): string {
    return createHmac('sha256', this.hmacKey).update(`${kind}\u0000${value.trim().toUpperCase()}`).digest('hex');
  }

  static generateKey(): string {
    return randomBytes(32).toString('base64');
  }
}
