import { open, type FileHandle } from 'node:fs/promises';
import { auditLine, type AuditEntry, type AuditLog } from '../../audit/port.js';

/**
 * `AUDIT_LOG_FILE`: one JSON object per line, appended. The file is opened in append mode, so
 * each entry is one `write` at the end of the file (POSIX `O_APPEND`: never interleaved with
 * another writer's, even another process's); entries of this process are written one after the
 * other, each before the call it records is answered. Written is in the kernel: it survives the
 * process dying, not the machine losing power in the next moments (`close()` syncs to disk).
 * The file is created readable by its owner only.
 */
export class FileAuditLog implements AuditLog {
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<FileAuditLog> {
    return new FileAuditLog(await open(path, 'a', 0o600), path);
  }

  record(entry: AuditEntry): Promise<void> {
    const line = Buffer.from(auditLine(entry), 'utf8');
    const written = this.pending.then(() => this.append(line));
    // One failed write does not stop the next ones from being tried.
    this.pending = written.catch(() => {});
    return written;
  }

  async close(): Promise<void> {
    await this.pending;
    await this.handle.sync();
    await this.handle.close();
  }

  private async append(line: Buffer): Promise<void> {
    const { bytesWritten } = await this.handle.write(line, 0, line.length);
    // A short write (a full disk) would leave half a line for the next one to follow: refused loudly.
    if (bytesWritten !== line.length) throw new Error(`audit entry cut short: ${bytesWritten} of ${line.length} bytes written`);
  }
}
