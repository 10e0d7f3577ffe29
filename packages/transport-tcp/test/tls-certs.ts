import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** opensslAvailable is true when the `openssl` CLI can be run. */
export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pem is a certificate and its key. */
export interface Pem {
  cert: string;
  key: string;
}

/** CertFactory makes CAs and certificates signed by them in a temporary folder (openssl CLI). */
export class CertFactory {
  readonly dir = mkdtempSync(join(tmpdir(), 'omnipaxos-tls-'));

  private run(args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }

  /** ca makes a self-signed CA named `name`. */
  ca(name: string): Pem {
    this.run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
    return this.read(name);
  }

  /**
   * leaf makes a certificate for `name` (valid for 127.0.0.1 and localhost) signed by the CA `caName`;
   * with `pid`, it is a member certificate bound to that pid (URI SAN `urn:omnipaxos:pid:<pid>`).
   */
  leaf(name: string, caName: string, pid?: number): Pem {
    const pidSan = pid === undefined ? '' : `,URI:urn:omnipaxos:pid:${pid}`;
    writeFileSync(join(this.dir, `${name}.ext`), `subjectAltName=IP:127.0.0.1,DNS:localhost${pidSan}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    this.run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`,
      '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    this.run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial',
      '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
    return this.read(name);
  }

  /** dispose deletes the temporary folder. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private read(name: string): Pem {
    return {
      cert: readFileSync(join(this.dir, `${name}.crt`), 'utf8'),
      key: readFileSync(join(this.dir, `${name}.key`), 'utf8'),
    };
  }
}
