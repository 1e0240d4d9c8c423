import { createHash } from 'node:crypto';
import { parsePatch } from './json-patch';
import { planLocations } from './location-patch';
import { imageRecord } from '../testing/image-record';
import { failure } from '../testing/thrown';

const RULES = { showMultipleLocations: true, imageLocationQuota: 3, hashingAlgorithm: 'sha512' };
const A = { url: 'http://a.example/x', metadata: {} };
const B = { url: 'http://b.example/x', metadata: { store: 'web' } };
const active = (urls = [A]) => imageRecord({ status: 'active', checksum: 'c'.repeat(32), locations: urls.map((l) => ({ ...l, status: 'active' as const })) });
const plan = (image: ReturnType<typeof imageRecord>, ops: unknown[], rules = RULES) => planLocations(image, parsePatch(ops, '2.1'), rules);
const failed = (run: () => unknown) => failure(run);

describe('planLocations', () => {
  it('adds at a position or at the end, and removes by position', () => {
    expect(plan(active(), [{ op: 'add', path: '/locations/-', value: B }]).locations).toEqual([A, B]);
    expect(plan(active(), [{ op: 'add', path: '/locations/0', value: B }]).locations).toEqual([B, A]);
    expect(plan(active([A, B]), [{ op: 'remove', path: '/locations/0' }]).locations).toEqual([B]);
  });

  it('replaces the list of an image without locations, or only the metadata of the same URLs', () => {
    expect(plan(imageRecord(), [{ op: 'replace', path: '/locations', value: [A, B] }]).locations).toEqual([A, B]);
    expect(plan(active([A]), [{ op: 'replace', path: '/locations', value: [{ ...A, metadata: { k: 'v' } }] }]).locations).toEqual([{ ...A, metadata: { k: 'v' } }]);
    expect(failed(() => plan(active([A]), [{ op: 'replace', path: '/locations', value: [B] }]))).toEqual({ code: 'bad_request', message: expect.stringContaining('Original locations is not empty') });
  });

  it.each([
    ['add', { op: 'add', path: '/locations/-', value: A }, "It's not allowed to add locations if locations are invisible."],
    ['remove', { op: 'remove', path: '/locations/0' }, "It's not allowed to remove locations if locations are invisible."],
    ['replace', { op: 'replace', path: '/locations', value: [] }, "It's not allowed to update locations if locations are invisible."],
  ])('forbids %s while show_multiple_locations is off', (_op, op, message) => {
    expect(failed(() => plan(active(), [op], { ...RULES, showMultipleLocations: false }))).toEqual({ code: 'forbidden', message });
  });

  it.each([
    ['the last location', active([A]), { op: 'remove', path: '/locations/0' }, 'forbidden', 'Cannot remove last location in the image.'],
    ['a queued image', imageRecord(), { op: 'remove', path: '/locations/0' }, 'conflict', "It's not allowed to remove locations if image status is queued."],
    ['a bad remove position', active([A, B]), { op: 'remove', path: '/locations/2' }, 'bad_request', 'Invalid position for removing a location.'],
    ['a bad add position', active([A]), { op: 'add', path: '/locations/5', value: B }, 'bad_request', 'Invalid position for adding a location.'],
    ['a duplicate', active([A]), { op: 'add', path: '/locations/-', value: A }, 'bad_request', 'The location http://a.example/x already exists'],
    ['an add to a deactivated image', imageRecord({ status: 'deactivated' }), { op: 'add', path: '/locations/-', value: A }, 'conflict', "It's not allowed to add locations if image status is deactivated."],
    ['a location without url', active(), { op: 'add', path: '/locations/-', value: { metadata: {} } }, 'bad_request', "Provided object does not match schema 'image': 'url' is a required property of a location"],
    ['an extra key', active(), { op: 'add', path: '/locations/-', value: { ...B, size: 1 } }, 'bad_request', "Provided object does not match schema 'image': Additional properties are not allowed ('size' was unexpected)"],
  ])('refuses %s', (_what, image, op, code, message) => {
    expect(failed(() => plan(image, [op]))).toEqual({ code, message });
  });

  it('enforces image_location_quota with 413 only when locations are added', () => {
    const full = active([A, B, { url: 'http://c.example/x', metadata: {} }]);
    expect(failed(() => plan(full, [{ op: 'add', path: '/locations/-', value: { url: 'http://d.example/x', metadata: {} } }]))).toEqual({
      code: 'payload_too_large',
      message: 'The limit has been exceeded on the number of allowed image locations. Attempted: 4, Maximum: 3',
    });
    expect(plan(full, [{ op: 'remove', path: '/locations/0' }], { ...RULES, imageLocationQuota: 1 }).locations).toHaveLength(2);
  });

  describe('validation_data', () => {
    const sha512 = createHash('sha512').update('x').digest('hex');
    const md5 = createHash('md5').update('x').digest('hex');
    const withData = (data: Record<string, unknown>) => [{ op: 'add', path: '/locations/-', value: { url: 'http://v.example/x', metadata: {}, validation_data: data } }];

    it('is taken for a queued image', () => {
      expect(plan(imageRecord(), withData({ checksum: md5, os_hash_algo: 'sha512', os_hash_value: sha512 })).validation).toEqual({ checksum: md5, osHashAlgo: 'sha512', osHashValue: sha512 });
    });

    it.each([
      ['a checksum that is not hex', { checksum: 'zz', os_hash_algo: 'sha512', os_hash_value: sha512 }, 'checksum (zz) is not a valid hexadecimal value'],
      ['a checksum of the wrong size', { checksum: 'abcd', os_hash_algo: 'sha512', os_hash_value: sha512 }, 'checksum (abcd) is not the correct size for md5 (should be 16 bytes)'],
      ['another hash algorithm', { os_hash_algo: 'sha256', os_hash_value: sha512 }, 'os_hash_algo must be sha512, not sha256'],
      ['a hash of the wrong size', { os_hash_algo: 'sha512', os_hash_value: md5 }, `os_hash_value (${md5}) is not the correct size for sha512 (should be 64 bytes)`],
    ])('refuses %s', (_what, data, message) => {
      expect(failed(() => plan(imageRecord(), withData(data)))).toEqual({ code: 'bad_request', message });
    });

    it('refuses new values for an active image and different values for set ones', () => {
      expect(failed(() => plan(active(), withData({ checksum: md5 })))).toEqual({ code: 'bad_request', message: 'checksum is already set with a different value' });
      expect(failed(() => plan(imageRecord({ status: 'active', locations: [{ ...B, status: 'active' }] }), withData({ checksum: md5 })))).toEqual({
        code: 'bad_request',
        message: "New value(s) for checksum may only be provided when image status is 'queued'",
      });
    });
  });
});
