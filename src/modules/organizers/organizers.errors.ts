import { appError, errors } from '../../platform/errors.js';

/** Errors of the organizers domain (organizers, members, commission). Codes are stable API. */
export const organizersErrors = {
  organizerNotFound: (id?: string) => errors.notFound('organizer', id),
  /** Adding a member by email: the person must already have an account. */
  userNotFound: (email: string) =>
    appError('user_not_found', 404, `No account uses ${email}; ask them to register first.`, { email }),
  memberNotFound: (userId: string) => appError('member_not_found', 404, `User ${userId} is not a member of this organizer.`),
  alreadyMember: (userId: string, role: string) =>
    appError('already_member', 409, `This user is already a member (role ${role}).`, { userId, role }),
  lastOwner: () => appError('last_owner', 409, 'An organizer must keep at least one owner; add another owner first.'),
  commissionAdminOnly: () => errors.forbidden('Only a platform admin can change the commission.'),
  slugTaken: (slug: string) => appError('organizer_slug_taken', 409, `The organizer slug ${slug} is already in use.`, { slug }),
};
