// Who may sign requests: access key → secret, the user it acts as, and
// what the key is limited to (key-scope.ts). The gateway's authentication
// asks a CredentialStore; where the entries come from (config file,
// database, IAM-like service) is the store's business.

import type { KeyScope } from '../access/key-scope.js';

/**
 * One access key. `user` is the identity the request acts as (owner, ACL
 * checks); `access` and `buckets` narrow what this key may do as that user.
 */
export interface Credential extends KeyScope {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly user: string;
}

export interface CredentialStore {
  /** The credential for this access key, or undefined if it does not exist (→ InvalidAccessKeyId). */
  lookup(accessKey: string): Credential | undefined;
  /** Whether `user` is a user of this store (ACL grants name users); absent: any name is taken as given. */
  hasUser?(user: string): boolean;
}

/** A fixed set of credentials held in memory. Immutable once built. */
export class StaticCredentialStore implements CredentialStore {
  readonly #byKey: ReadonlyMap<string, Credential>;
  readonly #users: ReadonlySet<string>;

  /** Throws on an empty field or a duplicated access key: both are configuration mistakes. */
  constructor(credentials: Iterable<Credential>) {
    const byKey = new Map<string, Credential>();
    for (const c of credentials) {
      if (!c.accessKey || !c.secretKey || !c.user) throw new Error('credential with an empty accessKey, secretKey or user');
      if (byKey.has(c.accessKey)) throw new Error(`duplicate access key ${c.accessKey}`);
      byKey.set(c.accessKey, Object.freeze({
        accessKey: c.accessKey, secretKey: c.secretKey, user: c.user,
        ...(c.access !== undefined ? { access: c.access } : {}),
        ...(c.buckets !== undefined ? { buckets: Object.freeze([...c.buckets]) } : {}),
      }));
    }
    this.#byKey = byKey;
    this.#users = new Set([...byKey.values()].map((c) => c.user));
  }

  lookup(accessKey: string): Credential | undefined {
    return this.#byKey.get(accessKey);
  }

  hasUser(user: string): boolean {
    return this.#users.has(user);
  }
}

/**
 * The gateway's store: a StaticCredentialStore that `replace` swaps whole
 * (SIGHUP reload). Each request looks its key up once, when it is
 * authenticated, and keeps that credential (and its scope) to its end: a
 * request in flight is never cut, the next one sees the new set.
 */
export class ReloadableCredentialStore implements CredentialStore {
  #current: StaticCredentialStore;

  constructor(credentials: Iterable<Credential>) {
    this.#current = new StaticCredentialStore(credentials);
  }

  /** Builds the new set first: a bad one throws and the old set stays. */
  replace(credentials: Iterable<Credential>): void {
    this.#current = new StaticCredentialStore(credentials);
  }

  lookup(accessKey: string): Credential | undefined {
    return this.#current.lookup(accessKey);
  }

  hasUser(user: string): boolean {
    return this.#current.hasUser(user);
  }
}
