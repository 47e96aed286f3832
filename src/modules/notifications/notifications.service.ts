import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { createMailer, type MailMessage, type Mailer, type SentMail } from './notifications.mailer.js';

/**
 * Notifications to people (email). Sending happens in jobs only — after the transaction that
 * decided to send has committed — never inside one.
 */
export class NotificationsService {
  readonly mailer: Mailer;

  constructor(config: Config, log: Logger, mailer?: Mailer) {
    this.mailer = mailer ?? createMailer(config, log.child({ module: 'notifications' }));
  }

  sendEmail(message: MailMessage): Promise<SentMail> {
    return this.mailer.send(message);
  }
}
