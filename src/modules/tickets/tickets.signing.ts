import crypto from 'node:crypto';

/**
 * Signed QR payloads that a gate device verifies with no network, only the event's public key.
 *
 *   TK1.<base64url(body)>.<base64url(signature)>
 *   body      = ticketId (16 bytes) | eventId (16) | ticketTypeId (16) | keyId (8)   — 56 bytes
 *   signature = Ed25519 over "TK1" | body                                              — 64 bytes
 *
 * About 165 characters: a QR code of version 10 or so at error correction M. The key id names
 * the event key that signed (first 8 bytes of SHA-256 of the raw public key), so a device holding
 * several events' keys picks the right one. Any change to any byte fails verification.
 */
export const PAYLOAD_VERSION = 'TK1';
const BODY_LENGTH = 16 * 3 + 8;
const SIGNATURE_LENGTH = 64;
const B64URL = /^[A-Za-z0-9_-]+$/;

export interface TicketClaims {
  ticketId: string;
  eventId: string;
  ticketTypeId: string;
  keyId: string;
}

export interface DecodedPayload extends TicketClaims {
  body: Buffer;
  signature: Buffer;
}

const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');
function bytesUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
const signedBytes = (body: Buffer) => Buffer.concat([Buffer.from(PAYLOAD_VERSION, 'ascii'), body]);

export function encodeBody(c: TicketClaims): Buffer {
  const body = Buffer.concat([uuidBytes(c.ticketId), uuidBytes(c.eventId), uuidBytes(c.ticketTypeId), Buffer.from(c.keyId, 'hex')]);
  if (body.length !== BODY_LENGTH) throw new Error('ticket claims must be three UUIDs and a 16-hex-digit key id');
  return body;
}

export function signPayload(c: TicketClaims, privateKey: crypto.KeyObject): string {
  const body = encodeBody(c);
  const signature = crypto.sign(null, signedBytes(body), privateKey);
  return `${PAYLOAD_VERSION}.${body.toString('base64url')}.${signature.toString('base64url')}`;
}

/** Parse the wire format (no signature check). Null when it is not a well-formed TK1 payload. */
export function decodePayload(payload: string): DecodedPayload | null {
  const parts = payload.trim().split('.');
  if (parts.length !== 3 || parts[0] !== PAYLOAD_VERSION || !B64URL.test(parts[1]!) || !B64URL.test(parts[2]!)) return null;
  const body = Buffer.from(parts[1]!, 'base64url');
  const signature = Buffer.from(parts[2]!, 'base64url');
  if (body.length !== BODY_LENGTH || signature.length !== SIGNATURE_LENGTH) return null;
  // Canonical encoding only: a re-encoding with different padding bits is not the signed string.
  if (body.toString('base64url') !== parts[1] || signature.toString('base64url') !== parts[2]) return null;
  return {
    ticketId: bytesUuid(body.subarray(0, 16)),
    eventId: bytesUuid(body.subarray(16, 32)),
    ticketTypeId: bytesUuid(body.subarray(32, 48)),
    keyId: body.subarray(48, 56).toString('hex'),
    body,
    signature,
  };
}

export function verifyDecoded(d: DecodedPayload, publicKey: crypto.KeyObject): boolean {
  try {
    return crypto.verify(null, signedBytes(d.body), publicKey, d.signature);
  } catch {
    return false;
  }
}

/** Decode and verify in one go: the claims, or null when malformed or not signed by this key. */
export function verifyPayload(payload: string, publicKey: crypto.KeyObject): TicketClaims | null {
  const d = decodePayload(payload);
  if (!d || !verifyDecoded(d, publicKey)) return null;
  return { ticketId: d.ticketId, eventId: d.eventId, ticketTypeId: d.ticketTypeId, keyId: d.keyId };
}

// ---- keys ----

export interface EventKeyPair {
  keyId: string;
  /** Raw 32-byte Ed25519 public key. */
  publicKeyRaw: Buffer;
  publicKey: crypto.KeyObject;
  privateKey: crypto.KeyObject;
}

export const keyIdOf = (publicKeyRaw: Buffer) => crypto.createHash('sha256').update(publicKeyRaw).digest().subarray(0, 8).toString('hex');

export function publicKeyFromRaw(raw: Buffer): crypto.KeyObject {
  return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export function generateEventKey(): EventKeyPair {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const publicKeyRaw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return { keyId: keyIdOf(publicKeyRaw), publicKeyRaw, publicKey, privateKey };
}

/**
 * Private keys at rest: PKCS#8 DER sealed with AES-256-GCM under a key derived (HKDF-SHA256)
 * from the ticket key secret and bound to the event id (as associated data). Whoever holds both
 * the database and the secret can sign tickets; either alone cannot. Changing the secret makes
 * existing events' private keys unreadable (their tickets still verify; new issuance fails) —
 * set TICKET_KEY_SECRET explicitly before rotating JWT_SECRET.
 */
export class KeySealer {
  private readonly master: Buffer;

  constructor(secret: Uint8Array) {
    this.master = Buffer.from(secret);
  }

  private keyFor(eventId: string): Buffer {
    return Buffer.from(crypto.hkdfSync('sha256', this.master, Buffer.from('tikiti-ticket-keys'), Buffer.from(`event:${eventId}`), 32));
  }

  seal(eventId: string, privateKey: crypto.KeyObject): string {
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.keyFor(eventId), iv);
    cipher.setAAD(Buffer.from(eventId));
    const ct = Buffer.concat([cipher.update(der), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  open(eventId: string, sealed: string): crypto.KeyObject {
    const [v, iv, tag, ct] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || !ct) throw new Error('unknown sealed key format');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.keyFor(eventId), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(eventId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const der = Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
    return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }
}
