import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A bearer token (the clients' or the control API's), checked on every request in constant time. The usual header ("Bearer <token>")
 * is compared byte for byte against a prepared buffer; any other spelling goes through SHA-256 digests.
 */
export class BearerToken {
  private readonly exact: Buffer;
  private readonly digest: Buffer;

  constructor(token: string) {
    this.exact = Buffer.from(`Bearer ${token}`);
    this.digest = createHash('sha256').update(token).digest();
  }

  matches(header: string | undefined): boolean {
    if (!header) return false;
    // Equal lengths only (the token's length is no secret: it is fixed); then the comparison is constant-time.
    if (header.length === this.exact.length) {
      const given = Buffer.from(header);
      if (given.length === this.exact.length && timingSafeEqual(given, this.exact)) return true;
    }
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m) return false;
    return timingSafeEqual(createHash('sha256').update(m[1].trim()).digest(), this.digest);
  }
}
