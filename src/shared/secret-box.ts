/**
 * Encrypts channel API keys at rest with AES-256-GCM, the key derived from LITECAST_SECRET_KEY with
 * scrypt. Stored form: `enc:v1:<salt>:<iv>:<tag>:<ciphertext>` (base64url). Without a secret key,
 * values are stored as `plain:<value>` so a later configured key can tell the two apart.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { LitecastError } from './errors.ts';

export type SecretBox = {
  seal(plaintext: string): string;
  open(sealed: string): string;
  readonly encrypts: boolean;
};

const b64 = (buffer: Buffer) => buffer.toString('base64url');

/** Creates a box for the given secret key; without one, values are stored unencrypted. */
export function createSecretBox(secretKey: string | undefined): SecretBox {
  const derived = new Map<string, Buffer>();
  const keyFor = (salt: Buffer) => {
    const cacheKey = b64(salt);
    let key = derived.get(cacheKey);
    if (!key) {
      key = scryptSync(secretKey ?? '', salt, 32);
      derived.set(cacheKey, key);
    }
    return key;
  };
  return {
    encrypts: secretKey !== undefined,
    seal(plaintext) {
      if (secretKey === undefined) return `plain:${plaintext}`;
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyFor(salt), iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['enc', 'v1', b64(salt), b64(iv), b64(cipher.getAuthTag()), b64(ciphertext)].join(':');
    },
    open(sealed) {
      if (sealed.startsWith('plain:')) return sealed.slice('plain:'.length);
      const [tag0, version, salt, iv, tag, ciphertext] = sealed.split(':');
      if (tag0 !== 'enc' || version !== 'v1' || !salt || !iv || !tag || ciphertext === undefined) {
        throw new LitecastError('LITECAST_ERR_SECRET_KEY', 'A stored API key has an unknown format; add the channel again.');
      }
      if (secretKey === undefined) {
        throw new LitecastError('LITECAST_ERR_SECRET_KEY', 'Channel API keys are stored encrypted: set LITECAST_SECRET_KEY to the key they were stored with.');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyFor(Buffer.from(salt, 'base64url')), Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch (error) {
        throw new LitecastError('LITECAST_ERR_SECRET_KEY', 'Cannot decrypt a stored API key: LITECAST_SECRET_KEY differs from the one it was stored with.', undefined, { cause: error });
      }
    },
  };
}
