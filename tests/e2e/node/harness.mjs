// Starts a real stageproxy on kernel-chosen ports for the node tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const binary = process.env.STAGEPROXY_BIN || join(root, 'build', 'stageproxy');

export async function startServer({ args = [], config = null } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sp-node-'));
  const argv = ['--data-dir', join(dir, 'data'), '--mysql-listen', '127.0.0.1:0',
    '--http-listen', '127.0.0.1:0', ...args];
  if (config !== null) {
    writeFileSync(join(dir, 'sp.ini'), config);
    chmodSync(join(dir, 'sp.ini'), 0o600);
    argv.push('--config', join(dir, 'sp.ini'));
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STAGEPROXY_')));
  const proc = spawn(binary, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const ports = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stageproxy did not start:\n' + log)), 10000);
    proc.stderr.on('data', () => {
      const m = /MySQL listening on 127\.0\.0\.1:(\d+), HTTP listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve({ mysql: +m[1], http: +m[2] }); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${log}`)); });
  });
  return {
    port: ports.mysql,
    dataDir: join(dir, 'data'),
    httpPort: ports.http,
    log: () => log,
    async stop() {
      // A server that already died reports its status instead of hanging the test.
      const code = proc.exitCode !== null || proc.signalCode !== null ? (proc.exitCode ?? proc.signalCode)
        : await new Promise((resolve) => { proc.removeAllListeners('exit'); proc.on('exit', (c, sig) => resolve(c ?? sig)); proc.kill('SIGTERM'); });
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
