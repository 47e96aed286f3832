import type { FastifyInstance } from 'fastify';
import type { MomoSandbox } from '../sandbox.service.js';
import { createToken } from './createToken.js';
import { requestToPay } from './requestToPay.js';
import { getRequestToPay } from './getRequestToPay.js';
import { createRefund } from './createRefund.js';
import { getRefund } from './getRefund.js';
import { getAccountHolderActive } from './getAccountHolderActive.js';

export function sandboxRoutes(app: FastifyInstance, sandbox: MomoSandbox) {
  createToken(app, sandbox);
  requestToPay(app, sandbox);
  getRequestToPay(app, sandbox);
  createRefund(app, sandbox);
  getRefund(app, sandbox);
  getAccountHolderActive(app, sandbox);
}
