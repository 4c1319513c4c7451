// Whether a URL's host is near: on this host, in this pod or cluster, or on a private network, where
// bytes cost less than the CPU to compress and inflate them. Read from the name alone (no lookup):
// loopback, private and link-local addresses, `localhost`, a name of one label (a Kubernetes
// service in the same namespace, a Compose service), and the suffixes private networks use
// (`.svc`, `.local`, as in `.svc.cluster.local`, `.internal`, `.lan`, `.home.arpa`). Anything else
// (a managed Prometheus across the internet) is far, a service named with its namespace alone
// (`prometheus.monitoring`) too: its last label could be a public domain's, and reading a near
// source as far costs CPU where the other mistake sends six times the bytes. Pure.

import { BlockList, isIP } from 'node:net';

const NEAR_ADDRESSES = new BlockList();
NEAR_ADDRESSES.addSubnet('127.0.0.0', 8, 'ipv4');
NEAR_ADDRESSES.addSubnet('10.0.0.0', 8, 'ipv4');
NEAR_ADDRESSES.addSubnet('172.16.0.0', 12, 'ipv4');
NEAR_ADDRESSES.addSubnet('192.168.0.0', 16, 'ipv4');
// Shared address space (RFC 6598): some clusters' pod and service ranges.
NEAR_ADDRESSES.addSubnet('100.64.0.0', 10, 'ipv4');
NEAR_ADDRESSES.addSubnet('169.254.0.0', 16, 'ipv4');
NEAR_ADDRESSES.addAddress('::1', 'ipv6');
// Unique local (RFC 4193) and link-local.
NEAR_ADDRESSES.addSubnet('fc00::', 7, 'ipv6');
NEAR_ADDRESSES.addSubnet('fe80::', 10, 'ipv6');

const NEAR_SUFFIXES = ['.localhost', '.svc', '.local', '.internal', '.lan', '.home.arpa'];

/** Whether `hostname` (as URL.hostname gives it: an IPv6 address in brackets) is near. */
export function isNearHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  const family = isIP(host);
  if (family === 4) return NEAR_ADDRESSES.check(host, 'ipv4');
  // BlockList judges an IPv4 address written as IPv6 (::ffff:10.0.0.1, ::ffff:a00:1) as the IPv4 one.
  if (family === 6) return NEAR_ADDRESSES.check(host, 'ipv6');
  if (host === 'localhost' || !host.includes('.')) return true;
  return NEAR_SUFFIXES.some((suffix) => host.endsWith(suffix));
}
