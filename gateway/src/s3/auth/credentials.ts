// Who may sign requests: access key → secret and the user it acts as.
// The gateway's authentication asks a CredentialStore; where the entries come
// from (config file, database, IAM-like service) is the store's business.

/** One access key. `user` is the identity the request acts as (owner, ACL checks). */
export interface Credential {
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
      byKey.set(c.accessKey, Object.freeze({ accessKey: c.accessKey, secretKey: c.secretKey, user: c.user }));
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
