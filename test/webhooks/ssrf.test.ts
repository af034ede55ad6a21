import { describe, expect, it } from 'vitest';
import { blockedAddressReason } from '../../src/webhooks/ip-ranges.js';
import { checkWebhookUrl, WebhookUrlError, type ResolveAll } from '../../src/webhooks/url-guard.js';

const publicDns: ResolveAll = async () => [{ address: '93.184.216.34', family: 4 }];
const fakeDns =
  (...addrs: string[]): ResolveAll =>
  async () =>
    addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function refusal(url: string, resolve: ResolveAll = publicDns): Promise<string> {
  try {
    await checkWebhookUrl(url, { resolve });
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookUrlError);
    return (err as Error).message;
  }
  throw new Error(`${url} was accepted`);
}

describe('blockedAddressReason', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /link-local/],
    ['0.0.0.0', /unspecified/],
    ['100.64.0.1', /carrier-grade/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['fc00::1', /unique-local/],
    ['fd12:3456::1', /unique-local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /IPv4-mapped 127\.0\.0\.1: loopback/],
    ['::ffff:7f00:1', /IPv4-mapped 127\.0\.0\.1: loopback/],
    ['::ffff:10.0.0.1', /private/],
    ['64:ff9b::a9fe:a9fe', /NAT64.*link-local/],
    ['2002:c0a8:0101::1', /6to4.*private/],
    ['[::]', /unspecified/],
    ['[::1]', /loopback/],
    ['::ffff:169.254.169.254', /IPv4-mapped 169\.254\.169\.254: link-local/],
    ['::ffff:0:7f00:1', /IPv4-translated 127\.0\.0\.1: loopback/],
    ['::8.8.8.8', /IPv4-compatible 8\.8\.8\.8/],
    ['::808:808', /IPv4-compatible 8\.8\.8\.8/],
    ['::127.0.0.1', /IPv4-compatible 127\.0\.0\.1/],
    ['fec0::1', /site-local/],
    ['100::1', /discard/],
    ['2001:db8::1', /documentation/],
    ['192.0.0.1', /reserved/],
    ['192.0.2.1', /reserved/],
    ['198.18.0.1', /reserved/],
    ['240.0.0.1', /reserved/],
  ])('refuses %s', (addr, why) => {
    expect(blockedAddressReason(addr)).toMatch(why);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '2002:0808:0808::1',
    '[2001:4860:4860::8888]',
    '64:ff9b::808:808',
    '1.1.1.1',
  ])('accepts public %s', (addr) => {
    expect(blockedAddressReason(addr)).toBeNull();
  });

  it('refuses text that is not an address', () => {
    expect(blockedAddressReason('example.com')).toMatch(/not an IP address/);
    // ipaddr.js alone would read these as 0.0.0.0 and 1.2.0.3; a resolver never returns them.
    expect(blockedAddressReason('0')).toMatch(/not an IP address/);
    expect(blockedAddressReason('1.2.3')).toMatch(/not an IP address/);
    expect(blockedAddressReason('')).toMatch(/not an IP address/);
  });
});

describe('checkWebhookUrl', () => {
  it('accepts a public https URL', async () => {
    const { url, addresses } = await checkWebhookUrl('https://hooks.example.com/x', { resolve: publicDns });
    expect(url.hostname).toBe('hooks.example.com');
    expect(addresses).toEqual(['93.184.216.34']);
  });

  it('refuses other schemes', async () => {
    expect(await refusal('ftp://example.com/x')).toMatch(/scheme ftp is not allowed/);
    expect(await refusal('file:///etc/passwd')).toMatch(/scheme file/);
  });

  it('refuses invalid URLs', async () => {
    expect(await refusal('not a url')).toMatch(/not a valid absolute URL/);
  });

  it.each([
    ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is loopback/],
    ['http://10.0.0.5/hook', /private/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://[::1]/hook', /loopback/],
    ['http://[fc00::5]/hook', /unique-local/],
    ['http://[fd00::5]/hook', /unique-local/],
    ['http://[::ffff:127.0.0.1]/hook', /IPv4-mapped 127\.0\.0\.1/],
    // Alternative IPv4 spellings the URL parser normalises.
    ['http://2130706433/hook', /127\.0\.0\.1 is loopback/],
    ['http://0x7f.1/hook', /loopback/],
    ['http://0/hook', /unspecified/],
    ['http://0.0.0.0:8080/hook', /0\.0\.0\.0 is unspecified/],
    ['http://[::]/hook', /:: is unspecified/],
    ['http://[::ffff:7f00:1]/hook', /IPv4-mapped 127\.0\.0\.1/],
    ['http://[fc00::1]/hook', /unique-local/],
    ['http://100.64.0.1/hook', /carrier-grade/],
    ['http://169.254.169.254./latest/meta-data', /link-local/],
  ])('refuses %s', async (url, why) => {
    const msg = await refusal(url);
    expect(msg).toMatch(why);
    expect(msg).toMatch(/TRACEHOUND_WEBHOOK_ALLOW_PRIVATE/);
  });

  it.each(['http://8.8.8.8/hook', 'https://[2606:4700:4700::1111]:8443/hook'])(
    'accepts the public literal %s without DNS',
    async (raw) => {
      const { addresses } = await checkWebhookUrl(raw, {
        resolve: async () => {
          throw new Error('an IP literal is not resolved');
        },
      });
      expect(addresses).toHaveLength(1);
    },
  );

  it('refuses a public name resolving to a private IPv6 or IPv4-mapped address', async () => {
    expect(await refusal('https://a.example.com/', fakeDns('fd00::7'))).toMatch(/unique-local/);
    expect(await refusal('https://b.example.com/', fakeDns('::ffff:10.1.1.1'))).toMatch(
      /resolves to ::ffff:10\.1\.1\.1, which is IPv4-mapped 10\.1\.1\.1: private/,
    );
  });

  it('refuses a hostname resolving to loopback (real DNS: localhost)', async () => {
    const err = await checkWebhookUrl('http://localhost:9/hook').catch((e: Error) => e);
    expect(err).toBeInstanceOf(WebhookUrlError);
    expect((err as Error).message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), which is loopback/);
  });

  it('refuses when any of several addresses is private', async () => {
    const msg = await refusal('https://mixed.example.com/', fakeDns('93.184.216.34', '10.0.0.7'));
    expect(msg).toMatch(/mixed\.example\.com resolves to 10\.0\.0\.7, which is private/);
  });

  it('allows private targets when allowPrivate is set', async () => {
    const r = await checkWebhookUrl('http://127.0.0.1:1234/', { allowPrivate: true });
    expect(r.addresses).toEqual(['127.0.0.1']);
    await expect(checkWebhookUrl('http://localhost:1234/', { allowPrivate: true })).resolves.toBeTruthy();
  });

  it('says when a hostname does not resolve', async () => {
    const failing: ResolveAll = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nope.invalid'), { code: 'ENOTFOUND' });
    };
    expect(await refusal('https://nope.invalid/', failing)).toMatch(
      /cannot resolve nope\.invalid: .*ENOTFOUND/,
    );
  });
});
