// Test-only: a throwaway private CA, a server certificate for 127.0.0.1 and a client certificate,
// made with the openssl command line in a temp directory the caller removes.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export const OPENSSL = "/usr/bin/openssl";

export interface TestCertificates {
  readonly ca: string;
  readonly serverKey: string;
  readonly serverCert: string;
  readonly clientKey: string;
  readonly clientCert: string;
}

/** PEM files in `dir`; the client certificate's subject CN is `clientCn`. */
export function makeCertificates(dir: string, clientCn: string): TestCertificates {
  const f = (name: string): string => join(dir, name);
  const run = (args: string[]): void => {
    execFileSync(OPENSSL, args, { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
  };
  // EC keys: fast to make, and accepted by Node's default TLS settings.
  const key = (path: string): void => run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path]);
  key(f("ca.key"));
  run(["req", "-x509", "-new", "-key", f("ca.key"), "-subj", "/CN=procwatch test CA", "-days", "2", "-out", f("ca.pem"),
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  const leaf = (name: string, cn: string, ext: string): void => {
    key(f(`${name}.key`));
    run(["req", "-new", "-key", f(`${name}.key`), "-subj", `/CN=${cn}`, "-out", f(`${name}.csr`)]);
    writeFileSync(f(`${name}.ext`), ext);
    run(["x509", "-req", "-in", f(`${name}.csr`), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial",
      "-days", "2", "-out", f(`${name}.pem`), "-extfile", f(`${name}.ext`)]);
  };
  leaf("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  leaf("client", clientCn, "extendedKeyUsage=clientAuth\n");
  return { ca: f("ca.pem"), serverKey: f("server.key"), serverCert: f("server.pem"), clientKey: f("client.key"), clientCert: f("client.pem") };
}
