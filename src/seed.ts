import type { AppContext } from './context.js';

// PLACEHOLDER — demo data (issue 2).
export const DEMO_LOGINS: { role: string; email: string; password: string }[] = [];

export async function seedDemo(_ctx: AppContext): Promise<boolean> {
  return false;
}
