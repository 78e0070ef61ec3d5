import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { registerBusinessMetrics } from '../../api/metrics/business';

/**
 * The provisioned Grafana dashboards (deploy/grafana/dashboards) may only query series the code
 * registers, so renaming a metric without the dashboard (or the reverse) fails here, not on a wall screen.
 */
const ROOT = path.join(__dirname, '..', '..');
const DASHBOARDS = path.join(ROOT, 'deploy', 'grafana', 'dashboards');

function registeredNames(): Set<string> {
  const registry = new Registry();
  registerBusinessMetrics(registry, { cacheMs: 0, read: async () => [] });
  const names = new Set<string>();
  for (const m of registry.getMetricsAsArray()) {
    names.add(m.name);
    // A histogram is queried through its series.
    for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${m.name}${suffix}`);
  }
  return names;
}

interface Target {
  expr: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

const dashboards = readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'));

it('has a dashboard to check', () => {
  expect(dashboards).toContain('causeway-business.json');
});

describe.each(dashboards)('%s', (file) => {
  const dash = JSON.parse(readFileSync(path.join(DASHBOARDS, file), 'utf8')) as { uid: string; panels: Panel[] };
  const panels = dash.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
  // The provisioning file's `uid:` lines (no YAML parser among the dependencies for one key).
  const provisioned = readFileSync(path.join(ROOT, 'deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8');
  const uids = new Set([...provisioned.matchAll(/^\s*uid:\s*(\S+)\s*$/gm)].map((m) => m[1]!));

  it('queries only metric names the code registers, each panel at least one', () => {
    const known = registeredNames();
    expect(panels.length).toBeGreaterThan(0);
    for (const p of panels) {
      const exprs = (p.targets ?? []).map((t) => t.expr);
      expect(exprs.length).toBeGreaterThan(0);
      for (const expr of exprs) {
        const used = [...expr.matchAll(/\bcauseway_[a-z0-9_]+/g)].map((m) => m[0]);
        expect({ panel: p.title, used: used.length > 0 }).toEqual({ panel: p.title, used: true });
        for (const name of used)
          expect({ panel: p.title, name, registered: known.has(name) }).toEqual({ panel: p.title, name, registered: true });
      }
    }
  });

  it('names the provisioned Prometheus datasource', () => {
    expect(uids.size).toBe(1);
    for (const p of panels) {
      expect(uids.has(p.datasource?.uid ?? '')).toBe(true);
      for (const t of p.targets ?? []) expect(uids.has(t.datasource?.uid ?? '')).toBe(true);
    }
  });
});
