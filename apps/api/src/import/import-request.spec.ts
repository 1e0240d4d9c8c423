import { importTransition, parseImportBody, targetStores } from './import-request';
import { imageRecord } from '../testing/image-record';
import { failure } from '../testing/thrown';

const ENABLED = ['glance-direct', 'web-download', 'copy-image'];
const MULTI = { multiStore: true, defaultStore: 'slow', writable: ['fast', 'slow'], known: ['fast', 'slow', 'web'] };
const SINGLE = { multiStore: false, defaultStore: 'file', writable: ['file'], known: ['file', 'http'] };
const parsed = (body: unknown) => parseImportBody(body, ENABLED);

describe('parseImportBody', () => {
  it('reads the method, its uri, the stores and the booleans', () => {
    expect(parsed({ method: { name: 'web-download', uri: 'http://x/y' }, stores: ['fast'], all_stores_must_succeed: false })).toEqual({
      method: 'web-download', uri: 'http://x/y', allStores: false, stores: ['fast'], allStoresMustSucceed: false,
    });
  });

  it.each([
    [[], "Import request requires a 'method' field."],
    [{ method: {} }, "Import request requires a 'name' field."],
    [{ method: { name: 'glance-download' } }, "Unknown import method name 'glance-download'."],
    [{ method: { name: 'copy-image' }, all_stores: 'true' }, "'all_stores' type must be boolean"],
    [{ method: { name: 'copy-image' }, all_stores_must_succeed: 1 }, "'all_stores_must_succeed' type must be boolean"],
    [{ method: { name: 'copy-image' }, stores: 'fast' }, "'stores' must be a list of store ids"],
  ])('refuses %j', (body, message) => {
    expect(failure(() => parsed(body))).toEqual({ code: 'bad_request', message });
  });
});

describe('importTransition', () => {
  it.each([
    ['glance-direct', 'uploading', 'importing'],
    ['web-download', 'queued', 'importing'],
    ['copy-image', 'active', 'active'],
  ] as const)('%s moves a %s image to %s', (method, from, to) => {
    expect(importTransition(imageRecord({ status: from }), method)).toEqual({ from, to });
  });

  it.each([
    ['web-download', 'active', 'Image with status active cannot be target for import'],
    ['copy-image', 'queued', 'Only images with status active can be targeted for copying'],
    ['web-download', 'uploading', "Image needs to be in 'queued' state to use 'web-download' method"],
    ['glance-direct', 'queued', "Image needs to be staged before 'glance-direct' method can be used"],
  ] as const)('%s of a %s image is 409', (method, status, message) => {
    expect(failure(() => importTransition(imageRecord({ status }), method))).toEqual({ code: 'conflict', message });
  });

  it('needs both formats', () => {
    expect(failure(() => importTransition(imageRecord({ containerFormat: null }), 'web-download')).message).toBe("'container_format' needs to be set before import");
    expect(failure(() => importTransition(imageRecord({ diskFormat: null }), 'web-download')).message).toBe("'disk_format' needs to be set before import");
  });
});

describe('targetStores', () => {
  const queued = imageRecord();
  const onSlow = imageRecord({ status: 'active', locations: [{ url: 'file:///s/x', metadata: { store: 'slow' }, status: 'active' }] });

  it('takes stores, else the header, else the default; all_stores means every writable store', () => {
    expect(targetStores(parsed({ method: { name: 'web-download' }, stores: ['fast', 'fast'] }), undefined, MULTI, queued)).toEqual(['fast']);
    expect(targetStores(parsed({ method: { name: 'web-download' } }), 'fast', MULTI, queued)).toEqual(['fast']);
    expect(targetStores(parsed({ method: { name: 'web-download' } }), undefined, MULTI, queued)).toEqual(['slow']);
    expect(targetStores(parsed({ method: { name: 'web-download' }, all_stores: true }), undefined, MULTI, queued)).toEqual(['fast', 'slow']);
    expect(targetStores(parsed({ method: { name: 'web-download' } }), 'fast', SINGLE, queued)).toEqual(['file']);
  });

  it('drops the stores that hold the image already for copy-image with all_stores, and refuses them otherwise', () => {
    expect(targetStores(parsed({ method: { name: 'copy-image' }, all_stores: true }), undefined, MULTI, onSlow)).toEqual(['fast']);
    expect(failure(() => targetStores(parsed({ method: { name: 'copy-image' }, stores: ['slow'] }), undefined, MULTI, onSlow))).toEqual({ code: 'bad_request', message: "Image is already present at store 'slow'" });
  });

  it.each([
    [{ method: { name: 'web-download' }, stores: ['fast'] }, 'fast', 'bad_request', "Stores parameter and x-image-meta-store header can't be both specified"],
    [{ method: { name: 'web-download' }, all_stores: true }, 'fast', 'bad_request', "All_stores parameter can't be used with x-image-meta-store header or stores parameter"],
    [{ method: { name: 'web-download' }, stores: ['cold'] }, undefined, 'conflict', "Unknown scheme 'cold' found in URI"],
  ])('refuses %j with header %p', (body, header, code, message) => {
    expect(failure(() => targetStores(parsed(body), header, MULTI, queued))).toEqual({ code, message });
  });

  it('refuses all_stores_must_succeed=false without multi-store', () => {
    expect(failure(() => targetStores(parsed({ method: { name: 'web-download' }, all_stores_must_succeed: false }), undefined, SINGLE, queued)).code).toBe('bad_request');
  });
});
