#!/usr/bin/env node
'use strict';
// npm run bench: throughput, latency and memory of Glimpse (embedded and cluster) and, opt-in, of
// the real Glance 25 peer, measured the same way. One JSON line per mode on stdout; progress on
// stderr. See docs/benchmarks.md for the method and the last full run.
//
// Knobs (environment):
//   BENCH_MODES        comma list of embedded, cluster, glance, s3, cache (default embedded,cluster,s3,cache)
//                      cache: downloads through a cache agent (embedded, filesystem store): a
//                      cold fill, a hit, and the origin reads of 8 concurrent cold requests
//                      s3: upload and download through Glimpse's S3 driver (embedded, on the
//                      Swift s3api of scripts/objstore) next to the same object moved by the
//                      minio client alone
//   BENCH_IMAGE_MIB    size of the uploaded/downloaded image, MiB  (default 1024)
//   BENCH_CREATES      POST /v2/images to send                     (default 2000)
//   BENCH_CREATE_CONC  concurrent creators                         (default 8)
//   BENCH_SECONDS      duration of each rate test (list, show)     (default 10)
//   BENCH_CONNECTIONS  connections of each rate test               (default 32)
//   BENCH_LOADGEN      wrk | node (default: wrk, installed with apt-get when missing and root;
//                      the built-in Node generator when wrk cannot be had)
//   BENCH_WRK_THREADS  wrk threads                                 (default 1: the server needs the cores)
//   BENCH_DATA_ROOT    where the servers' fresh data dirs go (default os.tmpdir(); /dev/shm takes the
//                      disk out of the upload figure)
//   BENCH_DOWNLOAD_CLIENT  node | curl (default node): what GETs image files; at more than ~1 GiB/s
//                      Node's own HTTP client is the bottleneck on two cores, curl much less so
//   BENCH_REPEAT       uploads (each of a new image) and downloads to take the median of (default 3)
//   BENCH_NODE_ARGS    extra node flags for the Glimpse processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
//   BENCH_OTEL_DISABLED=1  start Glimpse with OTEL_SDK_DISABLED=true (default: as deployed, SDK on, no exporter)
//   BENCH_HASHING_ALGORITHM  hashing_algorithm of the Glimpse processes (sha512, the default, or sha256)
//   GLANCE_PORT        port of the Glance peer (default 19292, or a free one when 19292 is taken)
//   BENCH_BUILD_LABEL  what was built, for the JSON when the tree is not a git checkout
//   BENCH_GLANCE_SCRIPTS  the Glance peer's scripts (default ../shared/peers/glance beside the checkout)
//   GLANCE_PEER_DIR    runtime dir of the Glance peer (default: a fresh temp dir, removed afterwards)

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const MIB = 1024 * 1024;
const GLANCE_DIR = process.env.BENCH_GLANCE_SCRIPTS || path.join(ROOT, '..', 'shared', 'peers', 'glance');
const GLANCE_DEFAULT_PORT = 19292;
const CLUSTER_APPS = ['registry', 'api', 'cache-agent', 'scrubber', 'pruner'];

function intEnv(name, dflt) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`bench: ${name}=${raw} is not a positive integer`);
    process.exit(2);
  }
  return n;
}

const OPTS = {
  modes: (process.env.BENCH_MODES || 'embedded,cluster,s3,cache').split(',').map((s) => s.trim()).filter(Boolean),
  imageMib: intEnv('BENCH_IMAGE_MIB', 1024),
  creates: intEnv('BENCH_CREATES', 2000),
  createConc: intEnv('BENCH_CREATE_CONC', 8),
  seconds: intEnv('BENCH_SECONDS', 10),
  connections: intEnv('BENCH_CONNECTIONS', 32),
  wrkThreads: intEnv('BENCH_WRK_THREADS', 1),
  loadgen: process.env.BENCH_LOADGEN || 'wrk',
  dataRoot: process.env.BENCH_DATA_ROOT || os.tmpdir(),
  repeat: intEnv('BENCH_REPEAT', 3),
  downloadClient: process.env.BENCH_DOWNLOAD_CLIENT || 'node',
  nodeArgs: (process.env.BENCH_NODE_ARGS || '').split(/\s+/).filter(Boolean),
  otelDisabled: process.env.BENCH_OTEL_DISABLED === '1' || process.env.BENCH_OTEL_DISABLED === 'true',
  hashingAlgorithm: process.env.BENCH_HASHING_ALGORITHM || '',
};
for (const m of OPTS.modes) {
  if (!['embedded', 'cluster', 'glance', 's3', 'cache'].includes(m)) {
    console.error(`bench: unknown mode ${m} in BENCH_MODES (embedded, cluster, glance, s3, cache)`);
    process.exit(2);
  }
}

const log = (...args) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

// ---------------------------------------------------------------------------------------------
// Tools

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** wrk, installing Debian's package when it is missing (as root); null means use the Node generator. */
function ensureWrk() {
  if (OPTS.loadgen === 'node') return null;
  if (have('wrk')) return 'wrk';
  if (process.getuid && process.getuid() === 0 && have('apt-get')) {
    log('wrk is missing: apt-get install -y wrk');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = spawnSync('apt-get', ['install', '-y', '-q', 'wrk'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) {
      log('apt-get install failed; apt-get update and retry');
      spawnSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env });
      r = spawnSync('apt-get', ['install', '-y', '-q', 'wrk'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    }
    if (r.status === 0 && have('wrk')) return 'wrk';
  }
  log('wrk is not available: using the built-in Node load generator (keep-alive agents)');
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The test image: random bytes, generated once per size under os.tmpdir(), with its md5. */
function ensureImageFile(mib) {
  const file = path.join(os.tmpdir(), `glimpse-bench-${mib}MiB.img`);
  const md5File = `${file}.md5`;
  try {
    if (fs.statSync(file).size === mib * MIB && fs.existsSync(md5File)) {
      return { file, size: mib * MIB, md5: fs.readFileSync(md5File, 'utf8').trim() };
    }
  } catch {
    // not there yet
  }
  log(`generating ${mib} MiB of random data in ${file}`);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  const buf = Buffer.allocUnsafe(4 * MIB);
  const md5 = crypto.createHash('md5');
  let left = mib * MIB;
  while (left > 0) {
    const n = Math.min(left, buf.length);
    crypto.randomFillSync(buf, 0, n);
    fs.writeSync(fd, buf, 0, n);
    md5.update(buf.subarray(0, n));
    left -= n;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  const digest = md5.digest('hex');
  fs.writeFileSync(md5File, `${digest}\n`);
  return { file, size: mib * MIB, md5: digest };
}

// ---------------------------------------------------------------------------------------------
// /proc: process trees, RSS and CPU

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function readStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' ');
    return { pid, comm, ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

function readMem(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => {
      const m = s.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
      return m ? Number(m[1]) : 0;
    };
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Pids of the processes with these names (the shared MariaDB and NATS servers). */
function pidsNamed(names) {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = readStat(Number(entry));
    if (st && names.includes(st.comm)) out.push(st.pid);
  }
  return out;
}

/** All descendants of the given roots (scan of /proc), roots first. */
function processTree(rootPids) {
  const stats = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = readStat(Number(entry));
    if (st) stats.set(st.pid, st);
  }
  const children = new Map();
  for (const st of stats.values()) {
    if (!children.has(st.ppid)) children.set(st.ppid, []);
    children.get(st.ppid).push(st.pid);
  }
  const out = [];
  const walk = (pid, root) => {
    if (!stats.has(pid)) return;
    out.push({ ...stats.get(pid), root });
    for (const c of (children.get(pid) || []).sort((a, b) => a - b)) walk(c, root);
  };
  for (const pid of rootPids) walk(pid, pid);
  return out;
}

/**
 * Samples VmRSS of every process of the server's tree every 100 ms, keeps per-process peaks
 * (and VmHWM, the kernel's own peak) and the peak of the sum per phase; CPU time per phase.
 */
class Sampler {
  constructor(roots, labelOf, infra = []) {
    this.roots = roots; // pids
    this.infra = infra; // pids of shared services (MariaDB, NATS): CPU only, not the server's
    this.labelOf = labelOf; // (proc, indexAmongRootChildren) => name
    this.procs = new Map(); // pid -> { name, peakRss, hwm, lastRss }
    this.phases = {}; // phase -> { peakSum, cpuTicks: {name: ticks}, seconds }
    this.phase = null;
    this.timer = null;
  }

  names() {
    const tree = processTree(this.roots);
    const perRoot = new Map();
    return tree.map((p) => {
      const idx = perRoot.get(p.root) || 0;
      if (p.pid !== p.root) perRoot.set(p.root, idx + 1);
      return { ...p, name: this.labelOf(p, p.pid === p.root ? 0 : idx + 1) };
    });
  }

  sample() {
    let sum = 0;
    for (const p of this.names()) {
      const mem = readMem(p.pid);
      if (!mem) continue;
      const rec = this.procs.get(p.pid) || { name: p.name, peakRss: 0, hwm: 0, lastRss: 0 };
      rec.peakRss = Math.max(rec.peakRss, mem.rss);
      rec.hwm = Math.max(rec.hwm, mem.hwm);
      rec.lastRss = mem.rss;
      rec.cpuTicks = p.cpuTicks;
      this.procs.set(p.pid, rec);
      sum += mem.rss;
    }
    if (this.phase) {
      const ph = this.phases[this.phase];
      ph.peakSum = Math.max(ph.peakSum, sum);
    }
    return sum;
  }

  cpuByName() {
    const out = {};
    for (const p of this.names()) out[p.name] = (out[p.name] || 0) + p.cpuTicks;
    for (const pid of this.infra) {
      const st = readStat(pid);
      if (st) out[`(${st.comm})`] = st.cpuTicks;
    }
    return out;
  }

  start() {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  /** The RSS of every process now (MiB), e.g. idle after start. */
  snapshot() {
    this.sample();
    const out = {};
    for (const rec of this.procs.values()) out[rec.name] = round(rec.lastRss / 1024);
    return out;
  }

  beginPhase(name) {
    this.endPhase();
    this.phase = name;
    this.phases[name] = { peakSum: 0, cpuStart: this.cpuByName(), t0: process.hrtime.bigint() };
    this.sample();
  }

  /** busySeconds: the timed work of the phase when it also waited for something untimed (sync). */
  endPhase(busySeconds) {
    if (!this.phase) return;
    this.sample();
    const ph = this.phases[this.phase];
    const cpuEnd = this.cpuByName();
    ph.cpu = {};
    for (const [name, ticks] of Object.entries(cpuEnd)) ph.cpu[name] = round((ticks - (ph.cpuStart[name] || 0)) / CLK_TCK, 2);
    ph.seconds = busySeconds ?? Number(process.hrtime.bigint() - ph.t0) / 1e9;
    delete ph.cpuStart;
    this.phase = null;
  }

  stop() {
    this.endPhase();
    clearInterval(this.timer);
  }

  report() {
    const peak = {};
    let sumHwm = 0;
    for (const rec of this.procs.values()) {
      const kb = Math.max(rec.hwm, rec.peakRss);
      peak[rec.name] = round(kb / 1024);
      sumHwm += kb;
    }
    const phasePeak = {};
    const cpu = {};
    for (const [name, ph] of Object.entries(this.phases)) {
      phasePeak[name] = round(ph.peakSum / 1024);
      const total = Object.entries(ph.cpu).filter(([n]) => !n.startsWith('(')).reduce((a, [, b]) => a + b, 0);
      // cores: server CPU seconds per wall second, over all its processes
      cpu[name] = { seconds: round(ph.seconds, 2), server_cpu_s: round(total, 2), cores: round(total / ph.seconds, 2), by_process: ph.cpu };
    }
    return { peak, sumHwm: round(sumHwm / 1024), phasePeak, cpu };
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(url, { method = 'GET', headers = {}, body = null, agent: ag = agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: ag }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function createImage(base, name, ag) {
  const body = JSON.stringify({ name, disk_format: 'raw', container_format: 'bare' });
  const res = await request(`${base}/v2/images`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    body,
    agent: ag,
  });
  if (res.status !== 201) throw new Error(`POST /v2/images answered ${res.status}: ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body).id;
}

/**
 * Flushes the page cache's dirty data (ours and anyone's), untimed, so that one phase's writeback
 * (a just-uploaded GiB) is not paid by the next phase's fsyncs.
 */
function settle() {
  spawnSync('sync', [], { stdio: 'ignore' });
}

/** PUT the file with Content-Length, streamed from disk (curl -T when present, else Node http). */
async function upload(base, id, image) {
  const url = `${base}/v2/images/${id}/file`;
  const t0 = process.hrtime.bigint();
  let status;
  if (have('curl')) {
    status = await new Promise((resolve, reject) => {
      const c = spawn('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '-H', 'Expect:', '-T', image.file, url], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('error', reject);
      c.on('exit', () => resolve(Number(out.trim())));
    });
  } else {
    status = await new Promise((resolve, reject) => {
      const req = http.request(url, {
        method: 'PUT',
        agent: false,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': image.size },
      }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      fs.createReadStream(image.file, { highWaterMark: MIB }).pipe(req);
    });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (status !== 204) throw new Error(`PUT ${url} answered ${status}`);
  return seconds;
}

/** GET the file, discarding the body; checks the byte count. */
function download(base, id, expected) {
  const url = `${base}/v2/images/${id}/file`;
  if (OPTS.downloadClient === 'curl') return curlDownload(url, expected);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.get(url, { agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => {
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        if (res.statusCode !== 200) return reject(new Error(`GET ${url} answered ${res.statusCode}`));
        if (bytes !== expected) return reject(new Error(`GET ${url}: ${bytes} bytes, expected ${expected}`));
        resolve({ seconds, chunked: res.headers['transfer-encoding'] === 'chunked' });
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error(`GET ${url}: connection closed after ${bytes} bytes`)));
    });
    req.on('error', reject);
  });
}

/**
 * The same GET with curl: its own timing, from the request to the last byte. Asynchronous, so
 * that the bench's keep-alive sockets see a server closing them while curl runs.
 */
function curlDownload(url, expected) {
  return new Promise((resolve, reject) => {
    const curl = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    curl.stdout.on('data', (chunk) => (out += chunk));
    curl.on('error', reject);
    curl.on('close', () => {
      const [status, bytes, seconds] = out.trim().split(' ').map(Number);
      if (status !== 200) return reject(new Error(`GET ${url} answered ${status}`));
      if (bytes !== expected) return reject(new Error(`GET ${url}: ${bytes} bytes, expected ${expected}`));
      resolve({ seconds, chunked: false });
    });
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function createMany(base, count, concurrency) {
  const ag = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let next = 0;
  let errors = 0;
  let firstError = null;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const s = process.hrtime.bigint();
      try {
        await createImage(base, `bench-${i}`, ag);
        latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
      } catch (error) {
        errors++;
        firstError = firstError || error.message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  ag.destroy();
  latencies.sort((a, b) => a - b);
  if (firstError) log(`create errors: ${errors}, first: ${firstError}`);
  return {
    per_s: round((count - errors) / seconds),
    seconds: round(seconds, 2),
    errors,
    p50_ms: round(percentile(latencies, 50), 2),
    p99_ms: round(percentile(latencies, 99), 2),
  };
}

// ---------------------------------------------------------------------------------------------
// Load generators for the rate tests

function parseDuration(s) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim());
  if (!m) return null;
  const v = Number(m[1]);
  return { us: v / 1000, ms: v, s: v * 1000, m: v * 60000 }[m[2]];
}

function runWrk(url, connections, seconds) {
  const threads = Math.min(OPTS.wrkThreads, connections);
  return new Promise((resolve, reject) => {
    const c = spawn('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s', url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out}`));
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const lat = (p) => {
        const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
        return m ? parseDuration(m[1]) : null;
      };
      const total = /(\d+) requests in/.exec(out);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = (non2xx ? Number(non2xx[1]) : 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
      resolve({
        rps: round(Number(rps && rps[1])),
        p50_ms: round(lat(50), 2),
        p99_ms: round(lat(99), 2),
        requests: total ? Number(total[1]) : null,
        errors,
      });
    });
  });
}

/** The fallback: `connections` keep-alive loops for `seconds`; latencies of every request. */
async function runNodeLoad(url, connections, seconds) {
  const ag = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let errors = 0;
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  const one = () =>
    new Promise((resolve) => {
      const s = process.hrtime.bigint();
      const req = http.get(url, { agent: ag }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode >= 200 && res.statusCode < 400) latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  const elapsed = (Date.now() - t0) / 1000;
  ag.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rps: round(latencies.length / elapsed),
    p50_ms: round(percentile(latencies, 50), 2),
    p99_ms: round(percentile(latencies, 99), 2),
    requests: latencies.length + errors,
    errors,
  };
}

// ---------------------------------------------------------------------------------------------
// Servers

function childEnv(extra) {
  const env = { PATH: process.env.PATH || '/usr/bin:/bin', HOME: process.env.HOME || '/root', ...extra };
  if (OPTS.otelDisabled) env.OTEL_SDK_DISABLED = 'true';
  if (OPTS.hashingAlgorithm) env.GLIMPSE_HASHING_ALGORITHM = OPTS.hashingAlgorithm;
  return env;
}

function spawnNode(script, env, output) {
  const child = spawn(process.execPath, [...OPTS.nodeArgs, script], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk) => {
    output.push(chunk.toString());
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return child;
}

async function waitForHealth(url, children, logs, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exited = children.find((c) => c.exitCode !== null);
    if (exited) throw new Error(`a Glimpse process exited (${exited.exitCode}) during start:\n${logs()}`);
    try {
      const res = await request(`${url}/healthcheck`, { agent: false });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`Glimpse did not become healthy at ${url}:\n${logs()}`);
}

function stopChildren(children) {
  return Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

async function mysqlAdmin(sql) {
  const { createConnection } = require('mysql2/promise');
  const conn = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

const cleanups = [];
const forget = (fn) => {
  const i = cleanups.indexOf(fn);
  if (i >= 0) cleanups.splice(i, 1);
};

async function startEmbedded() {
  const dataDir = fs.mkdtempSync(path.join(OPTS.dataRoot, 'glimpse-bench-embedded-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output = [];
  const logs = () => output.join('');
  const child = spawnNode('bin/glimpse.js', { GLIMPSE_DATA_DIR: dataDir, GLIMPSE_BIND_PORT: String(port), GLIMPSE_AUTH_STRATEGY: 'noauth' }, output);
  const stop = async () => {
    await stopChildren([child]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  await waitForHealth(url, [child], logs);
  return {
    url,
    logs,
    roots: [child.pid],
    labelOf: (p, i) => (i === 0 ? 'glimpse' : `glimpse/${p.comm}-${i}`),
    stop,
  };
}

/**
 * A private nats-server on a free port: Glimpse's subjects and queue groups are fixed, so a
 * cluster on the shared 127.0.0.1:4222 would share its glimpse-registry queue group with any
 * other Glimpse cluster there (e.g. integration tests running at the same time) and get answers
 * from the wrong registry and database.
 */
async function startPrivateNats() {
  const bin = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((b) => fs.existsSync(b)) || (have('nats-server') ? 'nats-server' : null);
  if (!bin) return null;
  const port = await freePort();
  // JetStream on: the scrub, prefetch and import queues are durable streams.
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'glimpse-bench-nats-'));
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const deadline = Date.now() + 10000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nats-server did not start on ${port}: ${err}`);
    await sleep(50);
  }
  const stop = async () => {
    await stopChildren([child]);
    fs.rmSync(storeDir, { recursive: true, force: true });
  };
  return { url: `nats://127.0.0.1:${port}`, pid: child.pid, stop };
}

async function startCluster() {
  if (!(await portOpen(3306))) {
    log('MariaDB is down: bash scripts/services.sh');
    const r = spawnSync('bash', [path.join(ROOT, 'scripts/services.sh')], { stdio: ['ignore', 2, 2] });
    if (r.status !== 0) throw new Error('cluster mode needs MariaDB on 127.0.0.1:3306 (and nats-server)');
  }
  const nats = await startPrivateNats();
  if (nats) cleanups.push(nats.stop);
  else log('nats-server not found: using the shared nats://127.0.0.1:4222 (another Glimpse cluster on it would share the registry queue group)');
  const dataDir = fs.mkdtempSync(path.join(OPTS.dataRoot, 'glimpse-bench-cluster-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const database = `glimpse_bench_${crypto.randomBytes(4).toString('hex')}`;
  await mysqlAdmin(`CREATE DATABASE \`${database}\``);
  const output = [];
  const logs = () => output.join('');
  const env = {
    GLIMPSE_DATA_DIR: dataDir,
    GLIMPSE_BIND_PORT: String(port),
    GLIMPSE_AUTH_STRATEGY: 'noauth',
    GLIMPSE_TRANSPORT: 'nats',
    GLIMPSE_NATS_URL: nats ? nats.url : 'nats://127.0.0.1:4222',
    GLIMPSE_CONNECTION: `mysql://root@127.0.0.1:3306/${database}`,
    GLIMPSE_REGISTRY_HEALTH_PORT: String(await freePort()),
    GLIMPSE_CACHE_AGENT_PORT: String(await freePort()),
    GLIMPSE_SCRUBBER_HEALTH_PORT: String(await freePort()),
    GLIMPSE_PRUNER_HEALTH_PORT: String(await freePort()),
  };
  const children = [];
  const names = new Map();
  const stop = async () => {
    await stopChildren([...children].reverse());
    if (nats) {
      await nats.stop();
      forget(nats.stop);
    }
    await mysqlAdmin(`DROP DATABASE IF EXISTS \`${database}\``).catch((e) => log(`could not drop ${database}: ${e.message}`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  const launch = (app) => {
    const c = spawnNode(`dist/apps/${app}/main.js`, env, output);
    children.push(c);
    names.set(c.pid, app);
  };
  launch('registry');
  await waitForHealth(`http://127.0.0.1:${env.GLIMPSE_REGISTRY_HEALTH_PORT}`, children, logs);
  for (const app of CLUSTER_APPS.slice(1)) launch(app);
  await waitForHealth(url, children, logs);
  return {
    url,
    logs,
    database,
    roots: children.map((c) => c.pid),
    infra: [...pidsNamed(['mariadbd', 'mysqld']), ...(nats ? [nats.pid] : pidsNamed(['nats-server']))],
    nats: nats ? nats.url : 'nats://127.0.0.1:4222 (shared)',
    labelOf: (p, i) => (i === 0 ? names.get(p.pid) : `${names.get(p.root)}/${p.comm}-${i}`),
    stop,
  };
}

function glanceScript(name, env) {
  const r = spawnSync('bash', [path.join(GLANCE_DIR, name)], { env, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`${name} exited ${r.status}`);
}

async function startGlance() {
  if (!fs.existsSync(path.join(GLANCE_DIR, 'start.sh'))) throw new Error(`no Glance peer scripts in ${GLANCE_DIR}`);
  // 19292 unless something (another Glance peer) listens there: then a free port (GLANCE_PORT)
  let port = Number(process.env.GLANCE_PORT || GLANCE_DEFAULT_PORT);
  if (await portOpen(port)) {
    if (process.env.GLANCE_PORT) throw new Error(`something already listens on 127.0.0.1:${port} (GLANCE_PORT)`);
    const taken = port;
    port = await freePort();
    log(`127.0.0.1:${taken} is taken (another Glance peer?): this one listens on ${port}`);
  }
  const ownDir = !process.env.GLANCE_PEER_DIR;
  const peerDir = process.env.GLANCE_PEER_DIR || fs.mkdtempSync(path.join(OPTS.dataRoot, 'glance-bench-'));
  const env = { ...process.env, GLANCE_PEER_DIR: peerDir, GLANCE_PORT: String(port), GLANCE_AUTH_MODE: 'noauth' };
  log(`Glance peer in ${peerDir}: setup.sh (installs the packages the first time, ~45 s)`);
  glanceScript('setup.sh', env);
  let started = false;
  const stop = async () => {
    if (started) glanceScript('stop.sh', env);
    started = false;
    if (ownDir) fs.rmSync(peerDir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  glanceScript('start.sh', env);
  started = true;
  const pid = Number(fs.readFileSync(path.join(peerDir, 'glance-api.pid'), 'utf8').trim());
  return {
    url: `http://127.0.0.1:${port}`,
    logs: () => {
      try {
        return fs.readFileSync(path.join(peerDir, 'log', 'glance-api.log'), 'utf8').slice(-4000);
      } catch {
        return '';
      }
    },
    roots: [pid],
    labelOf: (p, i) => (i === 0 ? 'glance-api (parent)' : `glance-api worker ${i}`),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// One mode

/**
 * MiB/s of writing 256 MiB of new data into a file under the data root, fsynced, as an upload's
 * store write does. This VM's host backs guest memory lazily and takes freed pages back, so new
 * page-cache pages cost a host fault each: here the same write runs at ~100 MiB/s or ~2,900 MiB/s
 * depending on that alone, and every upload figure of the run with it.
 */
function freshWriteMibS() {
  const file = path.join(OPTS.dataRoot, `glimpse-bench-probe-${process.pid}`);
  const block = crypto.randomBytes(MIB);
  const started = process.hrtime.bigint();
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < 256; i++) fs.writeSync(fd, block);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  return round(256 / (Number(process.hrtime.bigint() - started) / 1e9), 1);
}

async function benchMode(mode, image, loadgen) {
  log(`=== ${mode}: starting`);
  const server = await { embedded: startEmbedded, cluster: startCluster, glance: startGlance }[mode]();
  const base = server.url;
  const sampler = new Sampler(server.roots, server.labelOf, server.infra || []);
  sampler.start();
  await sleep(1000);
  const idle = sampler.snapshot();
  log(`${mode}: up at ${base}; idle RSS ${JSON.stringify(idle)}`);
  const result = { mode, fresh_write_mib_s: freshWriteMibS() };
  const load0 = os.loadavg()[0];
  try {
    // upload, BENCH_REPEAT times, each into a new image; the median counts
    const median = (xs) => {
      const a = [...xs].sort((x, y) => x - y);
      return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    };
    const ids = [];
    const ups = [];
    let upSeconds = 0;
    sampler.beginPhase('upload');
    for (let i = 0; i < OPTS.repeat; i++) {
      const id = await createImage(base, `bench-upload-${i}`);
      settle();
      log(`${mode}: PUT ${image.size / MIB} MiB (${i + 1}/${OPTS.repeat})`);
      const seconds = await upload(base, id, image);
      upSeconds += seconds;
      const shown = JSON.parse((await request(`${base}/v2/images/${id}`)).body);
      if (shown.status !== 'active' || shown.size !== image.size || shown.checksum !== image.md5) {
        throw new Error(`after upload: status ${shown.status}, size ${shown.size}, checksum ${shown.checksum} (expected active, ${image.size}, ${image.md5})`);
      }
      ids.push(id);
      ups.push(image.size / MIB / seconds);
    }
    sampler.endPhase(upSeconds);
    const id = ids[0];
    result.upload_mib_s = round(median(ups));
    result.upload_runs_mib_s = ups.map((x) => round(x));
    log(`${mode}: upload ${result.upload_mib_s} MiB/s (runs ${result.upload_runs_mib_s.join(', ')})`);

    // download each image twice (Glance's second download is a cache hit); medians
    const d1 = [];
    const d2 = [];
    sampler.beginPhase('download');
    for (const i of ids) d1.push(image.size / MIB / (await download(base, i, image.size)).seconds);
    sampler.endPhase();
    sampler.beginPhase('download2');
    for (const i of ids) d2.push(image.size / MIB / (await download(base, i, image.size)).seconds);
    sampler.endPhase();
    result.download_mib_s = round(median(d1));
    result.download_runs_mib_s = d1.map((x) => round(x));
    result.download2_mib_s = round(median(d2));
    result.download2_runs_mib_s = d2.map((x) => round(x));
    log(`${mode}: download ${result.download_mib_s} MiB/s (runs ${result.download_runs_mib_s.join(', ')}), second ${result.download2_mib_s} MiB/s (runs ${result.download2_runs_mib_s.join(', ')})`);

    // creates
    settle();
    log(`${mode}: ${OPTS.creates} POST /v2/images, ${OPTS.createConc} concurrent`);
    sampler.beginPhase('create');
    result.create = await createMany(base, OPTS.creates, OPTS.createConc);
    sampler.endPhase();
    result.creates_per_s = result.create.per_s;
    log(`${mode}: ${result.creates_per_s} creates/s`);

    // rate tests
    const rate = loadgen === 'wrk' ? runWrk : runNodeLoad;
    const warm = async (url) => {
      for (let i = 0; i < 20; i++) await request(url);
    };
    const listUrl = `${base}/v2/images?limit=25`;
    const listRes = await request(listUrl);
    const listed = listRes.status === 200 ? JSON.parse(listRes.body).images.length : null;
    const expected = Math.min(25, OPTS.creates + OPTS.repeat);
    if (listed !== expected) throw new Error(`GET ${listUrl}: ${listRes.status}, ${listed} images (expected ${expected})`);
    await warm(listUrl);
    log(`${mode}: GET /v2/images?limit=25, ${OPTS.connections} connections, ${OPTS.seconds} s`);
    sampler.beginPhase('list');
    result.list = await rate(listUrl, OPTS.connections, OPTS.seconds);
    sampler.endPhase();
    log(`${mode}: list ${JSON.stringify(result.list)}`);

    const showUrl = `${base}/v2/images/${id}`;
    await warm(showUrl);
    log(`${mode}: GET /v2/images/{id}, ${OPTS.connections} connections, ${OPTS.seconds} s`);
    sampler.beginPhase('show');
    result.show = await rate(showUrl, OPTS.connections, OPTS.seconds);
    sampler.endPhase();
    log(`${mode}: show ${JSON.stringify(result.show)}`);

    sampler.stop();
    const rep = sampler.report();
    const idleSum = Object.values(idle).reduce((a, b) => a + b, 0);
    result.rss_mib = {
      idle,
      idle_sum: round(idleSum),
      peak: rep.peak,
      peak_sum: rep.sumHwm,
      phase_peak_sum: rep.phasePeak,
    };
    result.cpu = rep.cpu;
  } catch (error) {
    log(`${mode}: FAILED: ${error.message}\n--- server log (tail) ---\n${server.logs().slice(-4000)}`);
    result.error = error.message;
  } finally {
    sampler.stop();
    log(`${mode}: stopping`);
    await server.stop();
    forget(server.stop);
  }
  // the machine's 1-minute load average before and after: other work on the machine shows here
  result.loadavg = [round(load0, 2), round(os.loadavg()[0], 2)];
  result.loadgen = loadgen === 'wrk' ? `wrk -t${OPTS.wrkThreads}` : 'node';
  result.params = { data_root: OPTS.dataRoot, image_mib: OPTS.imageMib, repeat: OPTS.repeat, creates: OPTS.creates, create_concurrency: OPTS.createConc, seconds: OPTS.seconds, connections: OPTS.connections };
  if (server.nats) result.nats = server.nats;
  if (mode !== 'glance') result.build = gitState();
  if (mode !== 'glance') result.otel_sdk = OPTS.otelDisabled ? 'disabled' : 'on (no exporter)';
  result.date = new Date().toISOString();
  return result;
}

const OBJSTORE = {
  endpoint: process.env.OBJSTORE_ENDPOINT || 'http://127.0.0.1:18080',
  accessKey: process.env.OBJSTORE_ACCESS_KEY || 'test:tester',
  secretKey: process.env.OBJSTORE_SECRET_KEY || 'testing',
};

function minioClient() {
  const Minio = require('minio');
  const url = new URL(OBJSTORE.endpoint);
  return new Minio.Client({
    endPoint: url.hostname, port: Number(url.port), useSSL: url.protocol === 'https:',
    accessKey: OBJSTORE.accessKey, secretKey: OBJSTORE.secretKey, region: 'us-east-1', pathStyle: true,
  });
}

/** The same file moved by the minio client alone (multipart, its default part size): the baseline. */
async function minioAlone(client, bucket, image) {
  const key = `bench-minio-${crypto.randomUUID()}`;
  let t0 = process.hrtime.bigint();
  await client.fPutObject(bucket, key, image.file, {});
  const up = Number(process.hrtime.bigint() - t0) / 1e9;
  t0 = process.hrtime.bigint();
  const stream = await client.getObject(bucket, key);
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  const down = Number(process.hrtime.bigint() - t0) / 1e9;
  if (bytes !== image.size) throw new Error(`minio getObject: ${bytes} bytes, expected ${image.size}`);
  await client.removeObject(bucket, key);
  return { upload: image.size / MIB / up, download: image.size / MIB / down };
}

/** Upload and download through the S3 driver of an embedded Glimpse, against minio alone. */
async function benchS3(image) {
  const bucket = `glimpse-bench-${crypto.randomUUID().slice(0, 8)}`;
  const client = minioClient();
  await client.makeBucket(bucket, 'us-east-1');
  const dataDir = fs.mkdtempSync(path.join(OPTS.dataRoot, 'glimpse-bench-s3-'));
  const config = path.join(dataDir, 'glimpse.conf');
  fs.writeFileSync(config, [
    '[glance_store]', 'stores = s3', 'default_store = s3',
    `s3_store_host = ${OBJSTORE.endpoint}`, `s3_store_access_key = ${OBJSTORE.accessKey}`,
    `s3_store_secret_key = ${OBJSTORE.secretKey}`, `s3_store_bucket = ${bucket}`,
  ].join('\n'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const output = [];
  const child = spawnNode('bin/glimpse.js', { GLIMPSE_DATA_DIR: dataDir, GLIMPSE_BIND_PORT: String(port), GLIMPSE_CONFIG_FILE: config }, output);
  const stop = async () => {
    await stopChildren([child]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  const result = { mode: 's3', fresh_write_mib_s: freshWriteMibS() };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  try {
    await waitForHealth(base, [child], () => output.join(''));
    const ups = [];
    const downs = [];
    const alone = [];
    for (let i = 0; i < OPTS.repeat; i++) {
      settle();
      alone.push(await minioAlone(client, bucket, image));
      const id = await createImage(base, `bench-s3-${i}`);
      settle();
      ups.push(image.size / MIB / (await upload(base, id, image)));
      downs.push(image.size / MIB / (await download(base, id, image.size)).seconds);
      await request(`${base}/v2/images/${id}`, { method: 'DELETE' });
      log(`s3: run ${i + 1}: glimpse up ${round(ups[i])} down ${round(downs[i])}, minio alone up ${round(alone[i].upload)} down ${round(alone[i].download)} MiB/s`);
    }
    Object.assign(result, {
      upload_mib_s: round(median(ups)),
      download_mib_s: round(median(downs)),
      minio_alone_upload_mib_s: round(median(alone.map((a) => a.upload))),
      minio_alone_download_mib_s: round(median(alone.map((a) => a.download))),
    });
    result.upload_vs_minio = round(result.upload_mib_s / result.minio_alone_upload_mib_s, 2);
    result.download_vs_minio = round(result.download_mib_s / result.minio_alone_download_mib_s, 2);
  } catch (error) {
    log(`s3: FAILED: ${error.message}\n${output.join('').slice(-4000)}`);
    result.error = error.message;
  } finally {
    await stop();
    forget(stop);
    await client.removeBucket(bucket).catch(() => undefined);
  }
  result.params = { image_mib: OPTS.imageMib, repeat: OPTS.repeat, endpoint: OBJSTORE.endpoint };
  result.build = gitState();
  result.date = new Date().toISOString();
  return result;
}

/**
 * Downloads through a cache agent of an embedded Glimpse: a cold fill (the agent reads the store
 * and writes its cache while it serves), a hit from the agent's disk, and 8 concurrent cold
 * requests, which must cost exactly one origin read.
 */
async function benchCache(image) {
  const dataDir = fs.mkdtempSync(path.join(OPTS.dataRoot, 'glimpse-bench-cache-'));
  const port = await freePort();
  const agentPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const agentUrl = `http://127.0.0.1:${agentPort}`;
  const output = [];
  const child = spawnNode('bin/glimpse.js', {
    GLIMPSE_DATA_DIR: dataDir, GLIMPSE_BIND_PORT: String(port), GLIMPSE_CACHE_AGENT_PORT: String(agentPort),
    GLIMPSE_IMAGE_CACHE_DIR: path.join(dataDir, 'cache'), GLIMPSE_CACHE_NODE_NAME: 'bench',
  }, output);
  const stop = async () => {
    await stopChildren([child]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  const result = { mode: 'cache', fresh_write_mib_s: freshWriteMibS() };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const stats = async () => JSON.parse((await request(`${agentUrl}/stats`)).body);
  const evict = (id) => request(`${base}/v2/cache/${id}`, { method: 'DELETE' });
  try {
    await waitForHealth(base, [child], () => output.join(''));
    await waitForHealth(agentUrl, [child], () => output.join(''));
    const id = await createImage(base, 'bench-cache');
    await upload(base, id, image);
    const cold = [];
    const hits = [];
    for (let i = 0; i < OPTS.repeat; i++) {
      await evict(id);
      settle();
      cold.push(image.size / MIB / (await download(agentUrl, id, image.size)).seconds);
      settle();
      hits.push(image.size / MIB / (await download(agentUrl, id, image.size)).seconds);
      log(`cache: run ${i + 1}: cold fill ${round(cold[i])} MiB/s, hit ${round(hits[i])} MiB/s`);
    }
    await evict(id);
    settle();
    const before = await stats();
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: 8 }, () => download(agentUrl, id, image.size)));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = await stats();
    Object.assign(result, {
      cold_fill_mib_s: round(median(cold)),
      hit_mib_s: round(median(hits)),
      concurrent_cold_requests: 8,
      concurrent_cold_origin_reads: after.origin_reads - before.origin_reads,
      concurrent_cold_total_mib_s: round((8 * image.size) / MIB / seconds),
    });
    log(`cache: 8 concurrent cold requests: ${result.concurrent_cold_origin_reads} origin read(s), ${result.concurrent_cold_total_mib_s} MiB/s served in all`);
  } catch (error) {
    log(`cache: FAILED: ${error.message}\n${output.join('').slice(-4000)}`);
    result.error = error.message;
  } finally {
    await stop();
    forget(stop);
  }
  result.params = { image_mib: OPTS.imageMib, repeat: OPTS.repeat, hashing_algorithm: OPTS.hashingAlgorithm || 'sha512' };
  result.build = gitState();
  result.date = new Date().toISOString();
  return result;
}

/** HEAD and whether the work tree differs from it: dist/ is built from the work tree. */
function gitState() {
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return process.env.BENCH_BUILD_LABEL || null;
  const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'apps', 'libs').stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? '+uncommitted apps/libs changes' : ''}`;
}

async function main() {
  if (OPTS.modes.some((m) => m !== 'glance') && !fs.existsSync(path.join(ROOT, 'dist/apps/api/main.js'))) {
    console.error('bench: dist/ is missing: npm run build first (npm run bench does)');
    process.exit(1);
  }
  const loadgen = ensureWrk() ? 'wrk' : 'node';
  const image = ensureImageFile(OPTS.imageMib);
  log(`modes ${OPTS.modes.join(',')}; image ${OPTS.imageMib} MiB (${image.file}); ${OPTS.creates} creates; ${OPTS.seconds} s per rate test; load generator ${loadgen}`);
  let failed = false;
  for (const mode of OPTS.modes) {
    let result;
    try {
      result = mode === 's3' ? await benchS3(image) : mode === 'cache' ? await benchCache(image) : await benchMode(mode, image, loadgen);
    } catch (error) {
      log(`${mode}: could not start: ${error.message}`);
      for (const c of cleanups.splice(0)) await c().catch(() => undefined);
      result = { mode, error: error.message };
    }
    if (result.error) failed = true;
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  agent.destroy();
  process.exitCode = failed ? 1 : 0;
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${sig}: cleaning up`);
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    process.exit(130);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
