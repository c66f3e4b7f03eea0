import { describe, expect, it } from 'vitest';
import { decodeRegistryAuth, encodeRegistryAuth, parseAuthConfig } from './auth';

describe('X-Registry-Auth', () => {
  it('round-trips credentials through URL-safe base64', () => {
    const config = { username: 'u?>', password: 'p~~~>>>', serveraddress: '127.0.0.1:5000' };
    const header = encodeRegistryAuth(config);
    expect(header).not.toMatch(/[+/=]/);
    expect(decodeRegistryAuth(header)).toEqual(config);
  });

  it('accepts standard base64 with padding, as some clients send', () => {
    const header = Buffer.from(JSON.stringify({ username: 'a', password: 'b' })).toString('base64');
    expect(decodeRegistryAuth(header)).toEqual({ username: 'a', password: 'b' });
  });

  it('treats absent, empty and {} as anonymous', () => {
    expect(decodeRegistryAuth(undefined)).toBeUndefined();
    expect(decodeRegistryAuth('')).toBeUndefined();
    expect(decodeRegistryAuth(encodeRegistryAuth({}))).toBeUndefined();
    expect(decodeRegistryAuth(Buffer.from('{"username":""}').toString('base64'))).toBeUndefined();
  });

  it('rejects garbage, non-objects and non-string fields', () => {
    expect(() => decodeRegistryAuth('***')).toThrow(/not base64/);
    expect(() => decodeRegistryAuth(Buffer.from('nope').toString('base64'))).toThrow(/not JSON/);
    expect(() => decodeRegistryAuth(Buffer.from('[1]').toString('base64'))).toThrow(/expected a JSON object/);
    expect(() => parseAuthConfig({ username: 5 })).toThrow(/"username" must be a string/);
    expect(() => decodeRegistryAuth('a'.repeat(70000))).toThrow(/bytes long/);
  });
});
