// `ros tls gen`: a CA, a server certificate for the API's TCP listener, and a client certificate,
// in one folder (Docker's names: ca.pem, server-cert.pem, cert.pem…). The keys come from Node's
// crypto; node-forge writes the certificates, which Node cannot.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import forge from "node-forge";
import { atomicWrite } from "../atomic-write.ts";

export const TLS_FILES = { ca: "ca.pem", caKey: "ca-key.pem", serverCert: "server-cert.pem", serverKey: "server-key.pem", clientCert: "cert.pem", clientKey: "key.pem" } as const;

const YEARS = { ca: 10, leaf: 2 };

function keyPair(): forge.pki.rsa.KeyPair {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function certificate(subjectCn: string, publicKey: forge.pki.PublicKey, years: number, issuer: { cert?: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey }, extensions: object[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive, 16 random bytes: unique without a serial file.
  cert.serialNumber = `01${randomBytes(15).toString("hex")}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 86_400_000);
  cert.setSubject([{ name: "commonName", value: subjectCn }]);
  cert.setIssuer(issuer.cert ? issuer.cert.subject.attributes : [{ name: "commonName", value: subjectCn }]);
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return cert;
}

export interface TlsGenOptions {
  dir: string;
  /** Names and addresses the server answers to (subject alternative names). */
  hosts: string[];
  clientName?: string;
}

/** Writes the files; a CA already in `dir` is kept (so certificates it signed stay valid). Returns what was written. */
export function tlsGen(o: TlsGenOptions): string[] {
  const written: string[] = [];
  const put = (name: string, pem: string, mode: number) => (atomicWrite(join(o.dir, name), pem, mode), written.push(name));
  let ca: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey };
  if (existsSync(join(o.dir, TLS_FILES.ca)) && existsSync(join(o.dir, TLS_FILES.caKey))) {
    ca = { cert: forge.pki.certificateFromPem(readFileSync(join(o.dir, TLS_FILES.ca), "utf8")), key: forge.pki.privateKeyFromPem(readFileSync(join(o.dir, TLS_FILES.caKey), "utf8")) as forge.pki.rsa.PrivateKey };
  } else {
    const k = keyPair();
    const cert = certificate("Corral API CA", k.publicKey, YEARS.ca, { key: k.privateKey }, [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ]);
    ca = { cert, key: k.privateKey };
    put(TLS_FILES.caKey, forge.pki.privateKeyToPem(k.privateKey), 0o600);
    put(TLS_FILES.ca, forge.pki.certificateToPem(cert), 0o644);
  }
  const leaf = (cn: string, usage: object, sans: object[]) => {
    const k = keyPair();
    const ext = [{ name: "basicConstraints", cA: false }, { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true }, usage, ...(sans.length ? [{ name: "subjectAltName", altNames: sans }] : [])];
    return { cert: forge.pki.certificateToPem(certificate(cn, k.publicKey, YEARS.leaf, ca, ext)), key: forge.pki.privateKeyToPem(k.privateKey) };
  };
  const hosts = [...new Set([...o.hosts, "localhost", "127.0.0.1", "::1"])];
  // SAN types: 2 is a DNS name, 7 an IP address.
  const server = leaf(o.hosts[0] ?? "localhost", { name: "extKeyUsage", serverAuth: true }, hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })));
  put(TLS_FILES.serverKey, server.key, 0o600);
  put(TLS_FILES.serverCert, server.cert, 0o644);
  const client = leaf(o.clientName ?? "corral-admin", { name: "extKeyUsage", clientAuth: true }, []);
  put(TLS_FILES.clientKey, client.key, 0o600);
  put(TLS_FILES.clientCert, client.cert, 0o644);
  return written;
}
