import { StoreError } from '../store.errors';
import { S3Store, type S3StoreSettings, formatS3Location, parseS3Endpoint, parseS3Location, s3StoreErrorOf } from './s3.store';

const MIB = 1024 * 1024;

const settings = (overrides: Partial<S3StoreSettings> = {}): S3StoreSettings => ({
  host: 'http://127.0.0.1:18080',
  regionName: '',
  accessKey: 'test:tester',
  secretKey: 'testing',
  bucket: 'images',
  createBucketOnPut: false,
  bucketUrlFormat: 'auto',
  largeObjectSize: 100 * MIB,
  largeObjectChunkSize: 10 * MIB,
  threadPools: 10,
  ...overrides,
});

const failureOf = (failure: string) => expect.objectContaining({ failure });

describe('parseS3Endpoint (s3_store_host)', () => {
  it.each([
    ['http://127.0.0.1:18080', { useSSL: false, hostname: '127.0.0.1', port: 18080, netloc: '127.0.0.1:18080' }],
    ['https://s3.example.com', { useSSL: true, hostname: 's3.example.com', port: 443, netloc: 's3.example.com' }],
    ['https://S3.Example.com:443/', { useSSL: true, hostname: 's3.example.com', port: 443, netloc: 's3.example.com' }],
    ['http://s3.example.com', { useSSL: false, hostname: 's3.example.com', port: 80, netloc: 's3.example.com' }],
    ['s3.example.com', { useSSL: false, hostname: 's3.example.com', port: 80, netloc: 's3.example.com' }],
    ['s3.example.com:9000', { useSSL: false, hostname: 's3.example.com', port: 9000, netloc: 's3.example.com:9000' }],
    ['http://[::1]:9000', { useSSL: false, hostname: '::1', port: 9000, netloc: '[::1]:9000' }],
  ])('reads %s', (host, endpoint) => {
    expect(parseS3Endpoint(host)).toEqual(endpoint);
  });

  it.each(['', 'ftp://s3.example.com', 'http://s3.example.com/some/path', 'http://key:secret@s3.example.com', 'http://'])(
    'refuses %j, naming the option',
    (host) => {
      expect(() => parseS3Endpoint(host)).toThrow(`s3_store_host=${host} is not an http(s) URL or a host[:port]`);
    },
  );
});

describe('S3 locations', () => {
  it('formats s3:// for an http endpoint and s3+https:// for https, without credentials', () => {
    expect(formatS3Location(parseS3Endpoint('http://127.0.0.1:18080'), 'images', 'abc')).toBe('s3://127.0.0.1:18080/images/abc');
    expect(formatS3Location(parseS3Endpoint('https://s3.example.com'), 'images', 'abc')).toBe('s3+https://s3.example.com/images/abc');
    expect(formatS3Location(parseS3Endpoint('s3.example.com'), 'images', 'abc')).toBe('s3://s3.example.com/images/abc');
  });

  it.each([
    ['s3://127.0.0.1:18080/images/abc', { useSSL: false, netloc: '127.0.0.1:18080', bucket: 'images', key: 'abc' }],
    ['s3+http://127.0.0.1:18080/images/abc', { useSSL: false, netloc: '127.0.0.1:18080', bucket: 'images', key: 'abc' }],
    ['s3+https://S3.example.com:443/images/abc', { useSSL: true, netloc: 's3.example.com', bucket: 'images', key: 'abc' }],
    ['s3://AKIA:se/cr+et@127.0.0.1:18080/images/abc', { useSSL: false, netloc: '127.0.0.1:18080', bucket: 'images', key: 'abc' }],
    ['s3+https://AKIA:secret@s3.example.com/images/abc', { useSSL: true, netloc: 's3.example.com', bucket: 'images', key: 'abc' }],
    ['s3://127.0.0.1:18080/service/path/images/abc', { useSSL: false, netloc: '127.0.0.1:18080/service/path', bucket: 'images', key: 'abc' }],
  ])('parses %s', (location, parsed) => {
    expect(parseS3Location(location)).toEqual(parsed);
  });

  it.each(['s3://127.0.0.1:18080/images', 's3://127.0.0.1:18080/images/', 's3:///images/abc', 'swift://h/c/o', 'file:///x', 'gopher://elsewhere/x'])(
    'refuses %s as invalid_location',
    (location) => {
      expect(() => parseS3Location(location)).toThrow(StoreError);
      expect(() => parseS3Location(location)).toThrow(expect.objectContaining({ failure: 'invalid_location' }));
    },
  );

  it('never repeats credentials of a Glance location in an error', () => {
    const store = new S3Store(settings());
    return expect(store.size('s3://AKIA:topsecret@elsewhere:1/images/abc')).rejects.toEqual(
      expect.objectContaining({ failure: 'invalid_location', message: expect.not.stringContaining('topsecret') }),
    );
  });
});

describe('S3Store.owns', () => {
  const http = new S3Store(settings());
  const https = new S3Store(settings({ host: 'https://s3.example.com' }));

  it.each([
    ['s3://127.0.0.1:18080/images/abc', true],
    ['s3+http://127.0.0.1:18080/images/abc', true],
    ['s3://test:tester:testing@127.0.0.1:18080/images/abc', true],
    ['s3://access:secret@127.0.0.1:18080/images/abc', true],
    ['s3+https://127.0.0.1:18080/images/abc', false],
    ['s3://127.0.0.1:18080/other-bucket/abc', false],
    ['s3://127.0.0.1:18081/images/abc', false],
    ['s3://localhost:18080/images/abc', false],
    ['s3://127.0.0.1:18080/path/images/abc', false],
    ['swift+http://127.0.0.1:18080/images/abc', false],
    ['file:///var/lib/glance/images/abc', false],
  ])('on http://127.0.0.1:18080, bucket images: %s → %s', (location, owned) => {
    expect(http.owns(location)).toBe(owned);
  });

  it.each([
    ['s3+https://s3.example.com/images/abc', true],
    ['s3+https://s3.example.com:443/images/abc', true],
    ['s3+https://S3.EXAMPLE.COM/images/abc', true],
    ['s3://s3.example.com/images/abc', false],
    ['s3+https://s3.example.com:8443/images/abc', false],
  ])('on https://s3.example.com: %s → %s', (location, owned) => {
    expect(https.owns(location)).toBe(owned);
  });

  it('refuses a location it does not own as invalid_location, without touching the network', async () => {
    await expect(http.get('s3://127.0.0.1:18080/other-bucket/abc')).rejects.toEqual(failureOf('invalid_location'));
    await expect(http.delete('gopher://elsewhere/x')).rejects.toEqual(failureOf('invalid_location'));
  });
});

describe('S3Store settings', () => {
  it('reports its sizes in MiB, as Glance options are', () => {
    expect(new S3Store(settings()).properties()).toEqual({
      s3_store_large_object_size: 100,
      s3_store_large_object_chunk_size: 10,
      s3_store_thread_pools: 10,
    });
  });

  it.each([
    [{ largeObjectChunkSize: 4 * MIB }, 's3_store_large_object_chunk_size=4 must be at least 5 MiB'],
    [{ threadPools: 0 }, 's3_store_thread_pools=0 must be a positive integer'],
    [{ bucket: '' }, 'The S3 store needs s3_store_bucket'],
    [{ accessKey: '', secretKey: '' }, 'The S3 store needs s3_store_access_key, s3_store_secret_key'],
  ])('prepare() refuses %j before any request', async (overrides, message) => {
    await expect(new S3Store(settings(overrides)).prepare()).rejects.toThrow(message);
  });

  it('refuses an unusable s3_store_host at construction', () => {
    expect(() => new S3Store(settings({ host: 'ftp://s3.example.com' }))).toThrow('s3_store_host=ftp://s3.example.com');
  });
});

describe('s3StoreErrorOf', () => {
  const object = { bucket: 'images', key: 'abc' };
  const s3Error = (code: string, message = code) => Object.assign(new Error(message), { code });

  it.each([
    ['NoSuchKey', 'read', 'not_found'],
    ['NotFound', 'read', 'not_found'],
    ['NoSuchBucket', 'read', 'not_found'],
    ['NoSuchBucket', 'write', 'unavailable'],
    ['AccessDenied', 'write', 'write_denied'],
    ['SignatureDoesNotMatch', 'write', 'write_denied'],
    ['AccessDenied', 'read', 'unavailable'],
    ['EntityTooLarge', 'write', 'store_full'],
    ['QuotaExceeded', 'write', 'store_full'],
    ['InternalError', 'read', 'unavailable'],
    ['ServiceUnavailable', 'write', 'unavailable'],
    ['SlowDown', 'read', 'unavailable'],
    ['ECONNREFUSED', 'read', 'unavailable'],
    ['ECONNRESET', 'write', 'unavailable'],
    ['ENOTFOUND', 'read', 'unavailable'],
  ] as const)('maps %s on %s to %s', (code, access, failure) => {
    expect(s3StoreErrorOf(s3Error(code), object, access)).toEqual(failureOf(failure));
  });

  it('maps an AggregateError of refused connections (happy eyeballs) to unavailable', () => {
    const error = new AggregateError([s3Error('ECONNREFUSED'), s3Error('ECONNREFUSED')], 'connect failed');
    expect(s3StoreErrorOf(error, object, 'read')).toEqual(failureOf('unavailable'));
  });

  it('names the bucket option when the bucket is gone at write time', () => {
    expect(s3StoreErrorOf(s3Error('NoSuchBucket'), object, 'write').message).toContain('s3_store_bucket');
  });

  it('passes StoreErrors and unknown errors through unchanged', () => {
    const mismatch = new StoreError('size_mismatch', 'short');
    const odd = s3Error('InvalidPart');
    expect(s3StoreErrorOf(mismatch, object, 'write')).toBe(mismatch);
    expect(s3StoreErrorOf(odd, object, 'write')).toBe(odd);
  });
});
