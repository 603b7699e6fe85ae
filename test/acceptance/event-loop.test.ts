// Acceptance: fit() does its heavy work off the main thread. During a fit whose batches
// each take >= 200 ms of compute, the main thread's event-loop delay stays low (p99 < 50 ms),
// so a server in the same process keeps answering (checked too: an HTTP server polled during
// the fit). Timing assertions only because the issue demands them, with wide margins: a
// blocked loop would show >= 200 ms.
import { once } from 'node:events';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';

describe('event loop during fit()', () => {
  it('keeps p99 event-loop delay under 50 ms while batches take >= 200 ms', async () => {
    const [B, T, I, H] = [128, 150, 64, 256];
    const model = loom.sequential({ layers: [loom.layers.lstm({ units: H, inputShape: [T, I] }), loom.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const x = loom.randn([B * 6, T, I], { seed: 1 });
    const y = loom.randn([B * 6, 1], { seed: 2 });
    // Start the worker (and, unbuilt, its TypeScript loading) before measuring.
    await model.predict(x, { batchSize: B });

    // A server in the same process, polled throughout the fit.
    const server: Server = createServer((_req, res) => res.end('ok'));
    server.listen(0);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const latencies: number[] = [];
    let training = true;
    const poll = (async () => {
      while (training) {
        const start = performance.now();
        await new Promise<void>((resolve, reject) => get({ port, agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject));
        latencies.push(performance.now() - start);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const batchEnds: number[] = [];
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    await model.fit(x, y, { epochs: 1, batchSize: B, verbose: 0, callbacks: [{ onBatchEnd: () => void batchEnds.push(performance.now()) }] });
    histogram.disable();
    training = false;
    await poll;
    server.close();
    await model.dispose();

    const gaps = batchEnds.slice(1).map((t, i) => t - batchEnds[i]!).sort((a, b) => a - b);
    const medianBatchMs = gaps[Math.floor(gaps.length / 2)]!;
    const p99Ms = histogram.percentile(99) / 1e6;
    expect(batchEnds.length).toBe(6);
    expect(medianBatchMs, 'the premise: each batch takes >= 200 ms').toBeGreaterThanOrEqual(200);
    latencies.sort((a, b) => a - b);
    expect(latencies.length).toBeGreaterThan(20);
    expect(latencies[Math.floor(latencies.length / 2)]!, 'median HTTP response time (ms) during fit').toBeLessThan(50);
    expect(p99Ms, `p99 event-loop delay ${p99Ms.toFixed(1)} ms (max ${(histogram.max / 1e6).toFixed(1)} ms, batches ${medianBatchMs.toFixed(0)} ms)`).toBeLessThan(50);
  });
});
