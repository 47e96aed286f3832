import type { FastifyInstance } from 'fastify';
import { register } from './register.js';
import { login } from './login.js';
import { refresh } from './refresh.js';
import { logout } from './logout.js';
import { getMe } from './getMe.js';
import { exportMyData } from './exportMyData.js';
import { deleteMe } from './deleteMe.js';

export async function identityRoutes(app: FastifyInstance) {
  register(app);
  login(app);
  refresh(app);
  logout(app);
  getMe(app);
  exportMyData(app);
  deleteMe(app);
}
