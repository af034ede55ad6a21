import { describe, expect, it } from 'vitest';
import { sessionOf } from '../../src/trace/session.js';
import { checkout } from '../helpers/checkout.js';
import { loadConfig } from '../../src/config.js';

/** A checkout trace with attributes set on the spans of the given services. */
function tagged(tags: Record<string, Record<string, string | number>>) {
  const t = checkout(1);
  for (const s of t.spans) Object.assign(s.attributes, tags[s.service] ?? {});
  return t;
}

describe('sessionOf', () => {
  const attrs = ['session.id', 'enduser.id'];

  it('takes the first configured attribute, on the root span before the others', () => {
    expect(
      sessionOf(tagged({ frontend: { 'session.id': 's-root' }, cart: { 'session.id': 's-cart' } }), attrs),
    ).toEqual({ id: 's-root', attribute: 'session.id' });
    expect(sessionOf(tagged({ cart: { 'session.id': 's-cart' } }), attrs)).toEqual({
      id: 's-cart',
      attribute: 'session.id',
    });
    // The attributes' order wins over the spans': a session id below beats a user id on the root.
    expect(
      sessionOf(tagged({ frontend: { 'enduser.id': 'u-7' }, payment: { 'session.id': 's-pay' } }), attrs),
    ).toEqual({ id: 's-pay', attribute: 'session.id' });
    expect(sessionOf(tagged({ frontend: { 'enduser.id': 42 } }), attrs)).toEqual({
      id: '42',
      attribute: 'enduser.id',
    });
    expect(sessionOf(tagged({ frontend: { 'enduser.id': 'u-7' } }), ['session.id'])).toBeUndefined();
  });

  it('skips values that are not ids: empty, too long, with control characters', () => {
    for (const bad of ['  ', 'x'.repeat(201), 'a\nb'])
      expect(sessionOf(tagged({ frontend: { 'session.id': bad } }), attrs)).toBeUndefined();
    expect(
      sessionOf(tagged({ frontend: { 'session.id': '' }, cart: { 'enduser.id': ' u-1 ' } }), attrs),
    ).toEqual({ id: 'u-1', attribute: 'enduser.id' });
  });
});

describe('TRACEHOUND_SESSION_ATTRIBUTES', () => {
  it('defaults to session.id,enduser.id and reads a comma list', () => {
    expect(loadConfig({}).TRACEHOUND_SESSION_ATTRIBUTES).toEqual(['session.id', 'enduser.id']);
    expect(
      loadConfig({ TRACEHOUND_SESSION_ATTRIBUTES: 'app.session, user.id' }).TRACEHOUND_SESSION_ATTRIBUTES,
    ).toEqual(['app.session', 'user.id']);
    expect(() => loadConfig({ TRACEHOUND_SESSION_ATTRIBUTES: 'a,,b' })).toThrow(
      /TRACEHOUND_SESSION_ATTRIBUTES: expected attribute names separated by commas/,
    );
  });
});
