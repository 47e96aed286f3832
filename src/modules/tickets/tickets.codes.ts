import crypto from 'node:crypto';

/**
 * Human ticket codes: 8 characters from an alphabet without look-alikes (no 0/O, 1/I), 32
 * symbols → 40 bits, printed as `XXXX-XXXX`. Unique in the database (tickets_code_unique); a
 * collision makes issuance retry with fresh codes. A steward may type one when a QR will not scan.
 */
export const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 8;
const CODE = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);

export function newTicketCode(): string {
  const bytes = crypto.randomBytes(CODE_LENGTH);
  let out = '';
  // 256 is a multiple of 32: no modulo bias.
  for (const b of bytes) out += CODE_ALPHABET[b % CODE_ALPHABET.length];
  return out;
}

/** What a person typed → the stored form, or null when it cannot be a code (case, spaces and dashes are forgiven). */
export function normalizeTicketCode(input: string): string | null {
  const s = input.toUpperCase().replace(/[\s-]/g, '');
  return CODE.test(s) ? s : null;
}

export function formatTicketCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}
