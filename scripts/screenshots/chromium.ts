/**
 * A headless Chromium driven over the DevTools protocol (loopback only), to screenshot local HTML pages at
 * their full content height — `chromium --screenshot` alone captures a fixed window. Started and stopped by
 * pid, with its own empty profile directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

type Json = Record<string, any>;

export class Chromium {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
  private readonly listeners: Array<(m: Json) => void> = [];

  private constructor(
    private readonly proc: ChildProcess,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Json;
      if (typeof m.id === 'number') {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(new Error(`${m.error.message}`));
        else p?.resolve(m.result as Json);
      } else for (const l of this.listeners) l(m);
    });
  }

  static async launch(binary = 'chromium'): Promise<Chromium> {
    const profile = mkdtempSync(path.join(tmpdir(), 'wsd-chromium-'));
    const proc = spawn(
      binary,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        '--remote-debugging-address=127.0.0.1',
        '--remote-debugging-port=0',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start: ${err.slice(-500)}`)), 20000);
      proc.on('error', (e) => reject(new Error(`cannot run ${binary}: ${e.message} (bash scripts/setup.sh screenshots installs it)`)));
      proc.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Chromium(proc, ws, profile);
  }

  private send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = ++this.seq;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private event(name: string, sessionId: string): Promise<Json> {
    return new Promise((resolve) => {
      const l = (m: Json): void => {
        if (m.method === name && m.sessionId === sessionId) {
          this.listeners.splice(this.listeners.indexOf(l), 1);
          resolve(m.params as Json);
        }
      };
      this.listeners.push(l);
    });
  }

  /** A PNG of `fileUrl` at `width` CSS pixels, as tall as its content, at 2× for sharp text. */
  async screenshot(fileUrl: string, width: number): Promise<Buffer> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    try {
      await this.send('Page.enable', {}, sessionId);
      await this.send('Emulation.setDeviceMetricsOverride', { width, height: 200, deviceScaleFactor: 2, mobile: false }, sessionId);
      const loaded = this.event('Page.loadEventFired', sessionId);
      await this.send('Page.navigate', { url: fileUrl }, sessionId);
      await loaded;
      await this.send('Runtime.evaluate', { expression: 'document.fonts.ready.then(() => true)', awaitPromise: true }, sessionId);
      const { result } = await this.send('Runtime.evaluate', { expression: 'Math.ceil(document.body.getBoundingClientRect().height)', returnByValue: true }, sessionId);
      const height = Math.max(50, Number(result.value));
      await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 2, mobile: false }, sessionId);
      const shot = await this.send('Page.captureScreenshot', { format: 'png', clip: { x: 0, y: 0, width, height, scale: 1 } }, sessionId);
      return Buffer.from(String(shot.data), 'base64');
    } finally {
      await this.send('Target.closeTarget', { targetId }).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.ws.close();
    if (this.proc.pid && this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      process.kill(this.proc.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    rmSync(this.profile, { recursive: true, force: true });
  }
}
