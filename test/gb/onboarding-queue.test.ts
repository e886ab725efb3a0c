import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OnboardingQueue } from '../../src/gb28181/onboarding-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('catalog jobs run before subscription jobs queued earlier, never more than the limit at once', async () => {
  const q = new OnboardingQueue({ max: 2, min: 1 });
  const order: string[] = [];
  let running = 0;
  let peak = 0;
  const job = (name: string) => async () => {
    running++;
    peak = Math.max(peak, running);
    await sleep(10);
    order.push(name);
    running--;
  };
  q.push(job('c1'));
  q.push(job('c2'));
  q.push(job('s1'), 'low');
  q.push(job('s2'), 'low');
  q.push(job('c3'));
  q.push(job('c4'));
  assert.equal(q.waiting, 4);
  assert.equal(q.waitingCatalog, 2);
  for (let i = 0; i < 100 && order.length < 6; i++) await sleep(10);
  q.stop();
  assert.deepEqual(order.slice(0, 4).sort(), ['c1', 'c2', 'c3', 'c4']);
  assert.deepEqual(order.slice(4).sort(), ['s1', 's2']);
  assert.ok(peak <= 2, `peak ${peak}`);
});

test('back-pressure: a blocked event loop halves the limit, a free one grows it back to max', async () => {
  const q = new OnboardingQueue({ max: 64, min: 4, step: 16, tickMs: 20, highLagMs: 50, lowLagMs: 15 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  for (let i = 0; i < 200; i++) q.push(() => gate);
  for (let i = 0; i < 100 && q.limit < 64; i++) await sleep(20); // free ticks: grows to max (a loaded machine may take longer)
  assert.equal(q.limit, 64);
  assert.equal(q.active, 64);
  const until = performance.now() + 150;
  while (performance.now() < until); // hold the loop 150 ms, as a long synchronous task would
  await sleep(0); // the overdue tick runs in this timers phase
  await new Promise((r) => setImmediate(r));
  assert.ok(q.limit <= 32, `limit after a 150 ms block: ${q.limit}`);
  release();
  for (let i = 0; i < 100 && (q.waiting || q.active || q.limit < 64); i++) await sleep(20);
  assert.equal(q.waiting, 0);
  assert.equal(q.active, 0);
  q.stop();
});
