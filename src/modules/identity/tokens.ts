import crypto from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Actor } from '../../platform/actor.js';

const ISSUER = 'tikiti';
const AUDIENCE = 'tikiti-api';

/** Access tokens (short-lived JWTs, HS256) and opaque refresh tokens (stored hashed). */
export class Tokens {
  constructor(
    private readonly secret: Uint8Array,
    readonly accessTtlSeconds: number,
  ) {}

  async signAccess(actor: Actor): Promise<string> {
    return new SignJWT({ adm: actor.isAdmin })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(actor.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setJti(crypto.randomUUID())
      .setExpirationTime(`${this.accessTtlSeconds}s`)
      .sign(this.secret);
  }

  /** The actor of a valid token, or undefined for an invalid/expired one. */
  async verifyAccess(token: string): Promise<Actor | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.secret, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string') return undefined;
      return { userId: payload.sub, isAdmin: payload.adm === true };
    } catch (e) {
      if (e instanceof joseErrors.JOSEError) return undefined;
      throw e;
    }
  }

  /** A new opaque refresh token and the hash we store for it. */
  newRefreshToken(): { token: string; hash: string } {
    const token = crypto.randomBytes(32).toString('base64url');
    return { token, hash: Tokens.hash(token) };
  }

  static hash(token: string): string {
    return crypto.createHash('sha256').update(token).digest('hex');
  }
}
