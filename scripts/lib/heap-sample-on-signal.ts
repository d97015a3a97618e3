/**
 * Preloaded into a benchmark's service (`node --import <this>`), never by the service itself: the
 * first SIGURG starts V8's sampling heap profiler with the objects later collected kept in the
 * profile (what was allocated, not what is left: `--heap-prof` reports only what is live at exit),
 * the second stops it and writes the profile to BENCH_HEAP_PROFILE (a .heapprofile, Chrome
 * DevTools' format). bench:replicas sends both around its measured window.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.BENCH_HEAP_PROFILE;

if (out) {
  const session = new Session();
  session.connect();
  let sampling = false;
  const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  process.on('SIGURG', () => {
    if (!sampling) {
      sampling = true;
      void post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      return;
    }
    sampling = false;
    void post('HeapProfiler.stopSampling').then((result) => fs.writeFileSync(out, JSON.stringify((result as { profile: unknown }).profile)));
  });
}
