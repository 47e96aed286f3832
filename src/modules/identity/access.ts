import type { Actor } from '../../platform/actor.js';
import { errors } from '../../platform/errors.js';

/**
 * Authorization helpers for services. Organizer roles are the organizers domain's business; this
 * is the platform-level part: who is signed in, who is a platform admin.
 */

/** The actor, or 401 when the call is anonymous. */
export function requireSignedIn(actor: Actor | null | undefined): Actor {
  if (!actor) throw errors.unauthenticated();
  return actor;
}

/** The actor if they are a platform admin; 401 when anonymous, 403 otherwise. */
export function requireAdmin(actor: Actor | null | undefined): Actor {
  const a = requireSignedIn(actor);
  if (!a.isAdmin) throw errors.forbidden('Only a platform admin can do this.');
  return a;
}

export function isAdmin(actor: Actor | null | undefined): boolean {
  return actor?.isAdmin === true;
}
