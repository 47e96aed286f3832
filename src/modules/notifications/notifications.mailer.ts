import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  attachments?: { filename: string; content: Buffer; contentType: string }[];
}

export interface SentMail {
  messageId: string;
  /** The .eml file when no SMTP server is configured. */
  file?: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'file';
  send(message: MailMessage): Promise<SentMail>;
  close(): void;
}

/** SMTP from SMTP_URL, or SMTP_HOST/PORT/SECURE/USER/PASS. */
class SmtpMailer implements Mailer {
  readonly kind = 'smtp' as const;
  private readonly transport: Transporter;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.transport = config.SMTP_URL
      ? nodemailer.createTransport(config.SMTP_URL)
      : nodemailer.createTransport({
          host: config.SMTP_HOST,
          port: config.SMTP_PORT,
          secure: config.SMTP_SECURE,
          ...(config.SMTP_USER ? { auth: { user: config.SMTP_USER, pass: config.SMTP_PASS ?? '' } } : {}),
        });
  }

  async send(m: MailMessage): Promise<SentMail> {
    const info = await this.transport.sendMail({ from: this.config.MAIL_FROM, ...m });
    this.log.info({ to: m.to, subject: m.subject, messageId: info.messageId }, 'email sent');
    return { messageId: info.messageId };
  }

  close() {
    this.transport.close();
  }
}

/**
 * No SMTP configured: each message is built by nodemailer (streamTransport, buffered) and written
 * as an RFC 822 `.eml` file into `<data folder>/mail/`, which any mail client opens. The path is logged.
 */
class FileMailer implements Mailer {
  readonly kind = 'file' as const;
  private readonly transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  constructor(
    private readonly dir: string,
    private readonly from: string,
    private readonly log: Logger,
  ) {}

  async send(m: MailMessage): Promise<SentMail> {
    const info = await this.transport.sendMail({ from: this.from, ...m });
    await fs.mkdir(this.dir, { recursive: true });
    const safeId = info.messageId.replace(/[^A-Za-z0-9._-]/g, '');
    const file = path.join(this.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${safeId}.eml`);
    // Write then rename: a reader never sees half a message.
    await fs.writeFile(`${file}.tmp`, info.message as Buffer, { mode: 0o600 });
    await fs.rename(`${file}.tmp`, file);
    this.log.info({ to: m.to, subject: m.subject, file }, 'email written to file (no SMTP configured)');
    return { messageId: info.messageId, file };
  }

  close() {}
}

export function createMailer(config: Config, log: Logger): Mailer {
  if (config.SMTP_URL || config.SMTP_HOST) return new SmtpMailer(config, log);
  return new FileMailer(path.join(config.dataDir, 'mail'), config.MAIL_FROM, log);
}
