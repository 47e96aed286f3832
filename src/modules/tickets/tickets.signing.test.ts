import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodePayload, generateEventKey, KeySealer, publicKeyFromRaw, signPayload, verifyPayload } from './tickets.signing.js';
import { CODE_ALPHABET, newTicketCode, normalizeTicketCode, formatTicketCode } from './tickets.codes.js';

const claims = () => ({ ticketId: crypto.randomUUID(), eventId: crypto.randomUUID(), ticketTypeId: crypto.randomUUID(), keyId: '' });

describe('signed QR payloads', () => {
  const key = generateEventKey();
  const c = { ...claims(), keyId: key.keyId };
  const payload = signPayload(c, key.privateKey);

  it('verifies with only the raw public key and returns the claims', () => {
    expect(payload).toMatch(/^TK1\.[A-Za-z0-9_-]{75}\.[A-Za-z0-9_-]{86}$/);
    expect(verifyPayload(payload, publicKeyFromRaw(key.publicKeyRaw))).toEqual(c);
  });

  it('fails for any altered byte of the body or signature', () => {
    const [v, body, sig] = payload.split('.') as [string, string, string];
    const raw = Buffer.from(body, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      const altered = Buffer.from(raw);
      altered[i] = altered[i]! ^ 0x01;
      expect(verifyPayload(`${v}.${altered.toString('base64url')}.${sig}`, key.publicKey)).toBeNull();
    }
    const s = Buffer.from(sig, 'base64url');
    s[10] = s[10]! ^ 0x80;
    expect(verifyPayload(`${v}.${body}.${s.toString('base64url')}`, key.publicKey)).toBeNull();
  });

  it('fails for a payload forged with another key, even claiming the right key id', () => {
    const forger = generateEventKey();
    const forged = signPayload({ ...c, ticketId: crypto.randomUUID() }, forger.privateKey);
    expect(decodePayload(forged)?.keyId).toBe(key.keyId);
    expect(verifyPayload(forged, key.publicKey)).toBeNull();
  });

  it('swapping in another ticket id under a valid signature fails', () => {
    const other = signPayload({ ...c, ticketId: crypto.randomUUID() }, key.privateKey);
    const mixed = `TK1.${other.split('.')[1]}.${payload.split('.')[2]}`;
    expect(verifyPayload(mixed, key.publicKey)).toBeNull();
  });

  it('rejects malformed payloads', () => {
    for (const bad of ['', 'TK1', 'TK2.' + payload.slice(4), payload + '.x', 'TK1.@@@.###', `TK1.${payload.split('.')[1]}.AAAA`, 'hello world']) {
      expect(decodePayload(bad)).toBeNull();
    }
  });
});

describe('sealed private keys', () => {
  it('round-trips, bound to the event and the secret', () => {
    const key = generateEventKey();
    const eventId = crypto.randomUUID();
    const sealer = new KeySealer(Buffer.from('a secret of at least thirty-two characters!!'));
    const sealed = sealer.seal(eventId, key.privateKey);
    expect(sealed).not.toContain(key.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url'));
    const opened = sealer.open(eventId, sealed);
    const c = { ...claims(), keyId: key.keyId };
    expect(verifyPayload(signPayload(c, opened), key.publicKey)).toEqual(c);
    expect(() => sealer.open(crypto.randomUUID(), sealed)).toThrow();
    expect(() => new KeySealer(Buffer.from('another secret of thirty-two characters!!!')).open(eventId, sealed)).toThrow();
  });
});

describe('human codes', () => {
  it('are 8 characters of the unambiguous alphabet and normalize what people type', () => {
    const codes = new Set(Array.from({ length: 2000 }, () => newTicketCode()));
    expect(codes.size).toBe(2000);
    for (const code of codes) expect(code).toMatch(new RegExp(`^[${CODE_ALPHABET}]{8}$`));
    const code = [...codes][0]!;
    expect(normalizeTicketCode(` ${formatTicketCode(code).toLowerCase()} `)).toBe(code);
    expect(normalizeTicketCode('ABCD-EFG0')).toBeNull();
    expect(normalizeTicketCode('ABCDEFGHI')).toBeNull();
  });
});
