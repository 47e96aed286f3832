import { describe, expect, it } from 'vitest';
import { slugify } from './organizers.service.js';

describe('slugify', () => {
  it.each([
    ['Kigali Sports Events', 'kigali-sports-events'],
    ['  Théâtre  de Butare! ', 'theatre-de-butare'],
    ['***', 'organizer'],
    ['x'.repeat(80), 'x'.repeat(60)],
  ])('%s → %s', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });
});
