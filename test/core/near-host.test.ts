// Near hosts (answers asked uncompressed by default) against far ones (gzipped), read from the name alone.

import { describe, expect, it } from 'vitest';
import { isNearHost } from '../../src/core/near-host.js';

const hostOf = (url: string) => new URL(url).hostname;

describe('isNearHost', () => {
  it('takes loopback, private, shared and link-local addresses as near, in both families and as URLs write them', () => {
    for (const url of ['http://127.0.0.1:9090', 'http://127.8.9.10/', 'http://10.1.2.3/', 'http://172.16.0.1/', 'http://172.31.255.255/', 'http://192.168.1.20/', 'http://100.64.3.4/', 'http://169.254.169.254/', 'http://[::1]:9090/', 'http://[fd12:3456::1]/', 'http://[fe80::1]/', 'http://[::ffff:10.0.0.1]/']) {
      expect([url, isNearHost(hostOf(url))]).toEqual([url, true]);
    }
  });

  it('takes public addresses as far, the edges of the private ranges among them', () => {
    for (const url of ['http://8.8.8.8/', 'http://172.15.255.255/', 'http://172.32.0.1/', 'http://192.169.0.1/', 'http://100.128.0.1/', 'http://[2001:db8::1]/', 'http://[::ffff:8.8.8.8]/']) {
      expect([url, isNearHost(hostOf(url))]).toEqual([url, false]);
    }
  });

  it("takes localhost, one-label names and private networks' suffixes as near, other names as far", () => {
    const near = ['localhost', 'prometheus', 'PROMETHEUS', 'prometheus-operated.monitoring.svc', 'prometheus.monitoring.svc.cluster.local', 'prometheus.monitoring.svc.cluster.local.', 'prom.internal', 'mimir.corp.internal', 'nas.lan', 'prom.home.arpa', 'app.localhost'];
    const far = ['prometheus-prod-01-eu-west-0.grafana.net', 'aps-workspaces.us-east-1.amazonaws.com', 'prometheus.example.com', 'localhost.example.com', 'svc.example.org', 'internal.example', 'prometheus.monitoring'];
    expect(near.filter((h) => !isNearHost(h))).toEqual([]);
    expect(far.filter((h) => isNearHost(h))).toEqual([]);
  });
});
