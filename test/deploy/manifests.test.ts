/**
 * The Kubernetes manifests of deploy/, parsed and checked for what a cluster would refuse or get
 * wrong: known kinds and apiVersions, images, hugepages requests equal to their limits, every
 * mount naming a volume, probes on the port http.address uses, the shared RPC socket directory,
 * the TLS files the config names, and a config file and environment that loadConfig accepts.
 * No Kubernetes JSON schema package is installed (none is usable offline), so the checks are ours.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { CONFIG_KEYS, envName } from '../../src/config/schema.js';
import { tempDir } from '../helpers/temp-dir.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));

const KNOWN_KINDS: Record<string, string> = {
  Namespace: 'v1',
  ServiceAccount: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  DaemonSet: 'apps/v1',
  Kustomization: 'kustomize.config.k8s.io/v1beta1',
};

interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; resourceFieldRef?: { containerName?: string; resource: string; divisor?: string } };
}
interface Probe {
  httpGet: { path: string; port: number };
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}
interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: Mount[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}
interface Volume {
  name: string;
  emptyDir?: { medium?: string };
  hostPath?: { path: string };
  configMap?: { name: string };
  secret?: { secretName: string };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  hostNetwork?: boolean;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: { name: string; namespace?: string };
  file: string;
  [field: string]: unknown;
}

/** Every YAML document under deploy/ (grafana/ holds dashboards, not manifests). */
function manifests(): Manifest[] {
  const out: Manifest[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'grafana') walk(full);
      } else if (/\.ya?ml$/.test(entry.name)) {
        for (const doc of parseAllDocuments(fs.readFileSync(full, 'utf8'))) {
          expect(doc.errors, full).toEqual([]);
          out.push({ ...(doc.toJS() as Manifest), file: path.relative(DEPLOY, full) });
        }
      }
    }
  };
  walk(DEPLOY);
  return out;
}

const all = manifests();
const one = (kind: string, file?: string): Manifest => {
  const found = all.filter((m) => m.kind === kind && (file === undefined || m.file === file));
  expect(found, `${kind} in ${file ?? 'deploy/'}`).toHaveLength(1);
  return found[0]!;
};
const podOf = (m: Manifest): PodSpec => (m['spec'] as { template: { spec: PodSpec } }).template.spec;
const daemonSet = one('DaemonSet', path.join('base', 'daemonset.yaml'));
const pod = podOf(daemonSet);
const container = (name: string): Container => {
  const c = pod.containers.find((x) => x.name === name);
  expect(c, name).toBeDefined();
  return c!;
};
const envOf = (c: Container): Map<string, EnvVar> => new Map((c.env ?? []).map((e) => [e.name, e]));
const configJson = (): Record<string, unknown> => JSON.parse((one('ConfigMap').data as Record<string, string>)['config.json']!) as Record<string, unknown>;

function flatten(object: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(object).flatMap(([name, value]) => {
    const key = prefix ? `${prefix}.${name}` : name;
    return value !== null && typeof value === 'object' && !Object.hasOwn(CONFIG_KEYS, key) ? flatten(value as Record<string, unknown>, key) : [key];
  });
}

/** A Kubernetes quantity in bytes: the binary suffixes the manifests use, or a plain integer. */
function quantityBytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(q);
  expect(m, `quantity ${q}`).not.toBeNull();
  const unit: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m![1]) * (m![2] === undefined ? 1 : unit[m![2]]!);
}

/**
 * A downward API resourceFieldRef as the kubelet gives it: the named container's limit or request,
 * divided by the divisor (default 1: bytes for memory and hugepages).
 */
function resourceValue(ref: NonNullable<NonNullable<EnvVar['valueFrom']>['resourceFieldRef']>, self: Container): string {
  const c = ref.containerName === undefined ? self : pod.containers.find((x) => x.name === ref.containerName);
  expect(c, `resourceFieldRef names container ${ref.containerName}`).toBeDefined();
  const [kind, resource] = ref.resource.split(/\.(.*)/s) as ['limits' | 'requests', string];
  const quantity = c!.resources?.[kind]?.[resource];
  expect(quantity, `${ref.containerName}: ${ref.resource}`).toBeDefined();
  return String(Math.ceil(quantityBytes(quantity!) / quantityBytes(ref.divisor ?? '1')));
}

/** A value with the pod's $(VAR) references filled as the kubelet would, from sample node facts. */
function expand(value: string, env: Map<string, EnvVar>, self: Container = container('spdk-conductor')): string {
  const facts: Record<string, string> = { 'spec.nodeName': 'node-a.example.com', 'status.hostIP': '10.0.0.7', 'status.podIP': '10.0.0.7' };
  return value.replace(/\$\((\w+)\)/g, (_, name: string) => {
    const from = env.get(name)?.valueFrom;
    if (from?.resourceFieldRef) return resourceValue(from.resourceFieldRef, self);
    const ref = from?.fieldRef?.fieldPath;
    expect(ref, `$(${name}) names a downward API variable`).toBeDefined();
    return facts[ref!]!;
  });
}

describe('deploy/ manifests', () => {
  it('are every one of a known kind and apiVersion, named, in the one namespace', () => {
    expect(all.length).toBeGreaterThanOrEqual(7);
    for (const m of all) {
      expect(KNOWN_KINDS[m.kind], `${m.file}: kind ${m.kind}`).toBe(m.apiVersion);
      if (m.kind === 'Kustomization' || m.kind === 'Namespace') continue;
      expect(m.metadata?.name, m.file).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(m.metadata?.namespace, m.file).toBe('spdk-conductor');
    }
  });

  it('kustomizations name files and directories that exist, and list every base manifest', () => {
    for (const k of all.filter((m) => m.kind === 'Kustomization')) {
      const dir = path.join(DEPLOY, path.dirname(k.file));
      const listed = [...((k['resources'] as string[] | undefined) ?? []), ...((k['patches'] as { path: string }[] | undefined) ?? []).map((p) => p.path)];
      for (const r of listed) {
        expect(fs.existsSync(path.join(dir, r)), `${k.file}: ${r}`).toBe(true);
        // kustomize refuses a resource that contains the kustomization naming it (a cycle).
        expect(`${dir}/`.startsWith(`${path.resolve(dir, r)}/`), `${k.file}: ${r} contains it`).toBe(false);
      }
    }
    expect(one('Kustomization', 'kustomization.yaml')['resources']).toEqual(['base']);
    const base = one('Kustomization', path.join('base', 'kustomization.yaml'))['resources'] as string[];
    const baseFiles = [...new Set(all.filter((m) => path.dirname(m.file) === 'base' && m.kind !== 'Kustomization').map((m) => path.basename(m.file)))];
    expect([...base].sort()).toEqual(baseFiles.sort());
  });

  it('run spdk_tgt and spdk-conductor side by side, each with an image, sharing the RPC socket directory', () => {
    const selector = (daemonSet['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    const labels = (daemonSet['spec'] as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    expect(labels).toMatchObject(selector);
    expect(pod.containers.map((c) => c.name).sort()).toEqual(['spdk-conductor', 'spdk-tgt']);
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) expect(c.image, c.name).toMatch(/^[\w./-]+(:[\w.-]+)?$/);

    const socket = configJson()['spdk'] as { socket: string };
    const rpcDir = path.dirname(socket.socket);
    const rpcVolume = pod.volumes!.find((v) => v.name === container('spdk-conductor').volumeMounts!.find((m) => m.mountPath === rpcDir)?.name);
    expect(rpcVolume?.emptyDir, 'the RPC socket directory is an emptyDir').toBeDefined();
    expect(container('spdk-tgt').volumeMounts!.find((m) => m.name === rpcVolume!.name)?.mountPath).toBe(rpcDir);
    const tgtArgs = (container('spdk-tgt') as Container & { command: string[] }).command;
    expect(tgtArgs[tgtArgs.indexOf('-r') + 1]).toBe(socket.socket);
  });

  it('give spdk_tgt hugepages-2Mi with requests equal to limits, and no container hugepages it does not use', () => {
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      const { requests = {}, limits = {} } = c.resources ?? {};
      for (const name of new Set([...Object.keys(requests), ...Object.keys(limits)].filter((r) => r.startsWith('hugepages-')))) {
        expect(requests[name], `${c.name} ${name}`).toBeDefined();
        expect(requests[name], `${c.name} ${name}: requests == limits`).toBe(limits[name]);
      }
    }
    expect(container('spdk-tgt').resources?.limits?.['hugepages-2Mi']).toMatch(/^\d+(Mi|Gi)$/);
    expect(Object.keys(container('spdk-conductor').resources?.limits ?? {}).filter((r) => r.startsWith('hugepages-'))).toEqual([]);
  });

  it('mount only volumes the pod defines, in the base and in every overlay patch', () => {
    const patches = all.filter((m) => m.kind === 'DaemonSet' && m !== daemonSet);
    for (const [m, spec] of [[daemonSet, pod], ...patches.map((p) => [p, podOf(p)] as const)] as const) {
      const volumes = new Set([...(pod.volumes ?? []), ...(spec.volumes ?? [])].map((v) => v.name));
      for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])])
        for (const mount of c.volumeMounts ?? []) expect(volumes.has(mount.name), `${m.file}: ${c.name} mounts ${mount.name}`).toBe(true);
    }
  });

  it("pass spdk_tgt's hugepages-2Mi limit to admission through the downward API, in the base and the nvme-host overlay", () => {
    const env = envOf(container('spdk-conductor'));
    const limit = env.get(envName('health.spdkHugepagesLimitBytes'))!;
    expect(limit.value).toMatch(/^2Mi=\$\(\w+\)$/);
    const variable = /\$\((\w+)\)/.exec(limit.value!)![1]!;
    // Names spdk_tgt's container and its limit, not spdk-conductor's own (which has none).
    expect(env.get(variable)?.valueFrom?.resourceFieldRef).toEqual({ containerName: 'spdk-tgt', resource: 'limits.hugepages-2Mi' });
    // Kubernetes expands $(VAR) only from variables listed before it.
    const names = (container('spdk-conductor').env ?? []).map((e) => e.name);
    expect(names.indexOf(variable)).toBeLessThan(names.indexOf(envName('health.spdkHugepagesLimitBytes')));
    expect(expand(limit.value!, env)).toBe(`2Mi=${quantityBytes(container('spdk-tgt').resources!.limits!['hugepages-2Mi']!)}`);
    expect(loadConfig({ env: { [limit.name]: expand(limit.value!, env) } })['health.spdkHugepagesLimitBytes']).toBe('2Mi=2147483648');

    // The overlay is a strategic merge patch: env merges by name, so the base's variables reach it
    // unless the patch sets them otherwise.
    const overlay = podOf(one('DaemonSet', path.join('nvme-host', 'daemonset-patch.yaml')));
    const patched = overlay.containers.find((c) => c.name === 'spdk-conductor')!;
    for (const name of [variable, limit.name]) {
      const e = patched.env?.find((x) => x.name === name);
      if (e) expect(e, `nvme-host patches ${name}`).toEqual(env.get(name));
    }
    expect(overlay.containers.find((c) => c.name === 'spdk-tgt')?.resources, "nvme-host leaves spdk_tgt's hugepages as the base has them").toBeUndefined();
  });

  it('probe /livez and /readyz on the port of http.address, with a startup probe longer than the old 18 s', () => {
    const conductor = container('spdk-conductor');
    const env = envOf(conductor);
    const httpAddress = expand(env.get(envName('http.address'))!.value!, env);
    const port = Number(/:(\d+)$/.exec(httpAddress)![1]);
    expect(conductor.livenessProbe?.httpGet).toEqual({ path: '/livez', port });
    expect(conductor.startupProbe?.httpGet).toEqual({ path: '/livez', port });
    expect(conductor.readinessProbe?.httpGet).toEqual({ path: '/readyz', port });
    const budget = (p: Probe): number => p.periodSeconds * p.failureThreshold;
    expect(budget(conductor.startupProbe!)).toBeGreaterThan(18);
    // Liveness must give the service longer than its own stall verdict before the kubelet kills it.
    expect(budget(conductor.livenessProbe!)).toBeGreaterThan(CONFIG_KEYS['health.livenessStallSec'].default);
    for (const p of [conductor.livenessProbe!, conductor.readinessProbe!, conductor.startupProbe!]) expect(p.timeoutSeconds).toBeLessThan(p.periodSeconds);
    expect(container('spdk-tgt').livenessProbe, 'a liveness kill of spdk_tgt fails every attached volume').toBeUndefined();
  });

  it('take addresses and the engine NQN from the node (downward API, host network), stable across pod re-creation', () => {
    expect(pod.hostNetwork).toBe(true);
    const env = envOf(container('spdk-conductor'));
    expect(env.get('NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
    expect(env.get('NODE_IP')?.valueFrom?.fieldRef?.fieldPath).toBe('status.hostIP');
    expect(expand(env.get(envName('export.address'))!.value!, env)).toBe('10.0.0.7');
    expect(expand(env.get(envName('engine.hostNqn'))!.value!, env)).toContain('node-a.example.com');
  });

  it('have a ConfigMap and environment that loadConfig accepts, every key one src/config/schema.ts knows', () => {
    const conductor = container('spdk-conductor');
    const keys = flatten(configJson());
    for (const key of keys) expect(Object.hasOwn(CONFIG_KEYS, key), `config key ${key}`).toBe(true);
    const env = envOf(conductor);
    const known = new Set(Object.keys(CONFIG_KEYS).map(envName));
    const conductorEnv: Record<string, string> = {};
    for (const [name, e] of env) {
      if (!name.startsWith('CONDUCTOR_')) continue;
      expect(known.has(name), `${name} is a config key's variable`).toBe(true);
      conductorEnv[name] = expand(e.value!, env);
    }
    const file = path.join(tempDir('manifests-'), 'config.json');
    fs.writeFileSync(file, JSON.stringify(configJson()));
    const config = loadConfig({ file, env: conductorEnv });
    expect(config['export.address']).toBe('10.0.0.7');
    expect(config['health.spdkHugepagesLimitBytes']).toBe(`2Mi=${2 * 2 ** 30}`);
    expect(config['http.address']).toBe('10.0.0.7:9646');
    const args = conductor.args!;
    const configMount = conductor.volumeMounts!.find((m) => m.name === pod.volumes!.find((v) => v.configMap)!.name)!;
    expect(args.slice(0, 3)).toEqual(['serve', '--config', path.join(configMount.mountPath, 'config.json')]);
  });

  it('mount the TLS Secret where api.tls.* and client.tls.* point, with the keys the Secret has', () => {
    const config = configJson() as { api: { tls: Record<string, string> }; client: { tls: Record<string, string> } };
    const secret = one('Secret');
    const secretKeys = Object.keys(secret['stringData'] as Record<string, string>);
    const volume = pod.volumes!.find((v) => v.secret?.secretName === secret.metadata!.name)!;
    const mount = container('spdk-conductor').volumeMounts!.find((m) => m.name === volume.name)!;
    expect(mount.readOnly).toBe(true);
    for (const file of [...Object.values(config.api.tls), ...Object.values(config.client.tls)]) {
      expect(path.dirname(file)).toBe(mount.mountPath);
      expect(secretKeys).toContain(path.basename(file));
    }
  });

  it('run spdk-conductor non-root in the base, and as root with privilege only in the nvme-host overlay', () => {
    expect(container('spdk-conductor').securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
    expect(container('spdk-conductor').securityContext?.['privileged']).toBeUndefined();
    const overlay = podOf(one('DaemonSet', path.join('nvme-host', 'daemonset-patch.yaml')));
    const conductor = overlay.containers.find((c) => c.name === 'spdk-conductor')!;
    expect(conductor.securityContext).toMatchObject({ privileged: true, runAsUser: 0 });
    expect(conductor.volumeMounts!.map((m) => m.mountPath).sort()).toEqual(['/dev', '/etc/nvme', '/sys']);
  });
});
