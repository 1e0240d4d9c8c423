import type { CallerContext, ImageRecord } from '@glimpse/contracts';
import { DEFAULT_CONTAINER_FORMATS, DEFAULT_DISK_FORMATS } from '@glimpse/contracts';
import { type PatchDialect, PATCH_V20, PATCH_V21, dialectOf, parsePatch, patchRequest } from './json-patch';
import { failure } from '../testing/thrown';
import { imageRecord as image } from '../testing/image-record';

const FORMATS = { diskFormats: DEFAULT_DISK_FORMATS, containerFormats: DEFAULT_CONTAINER_FORMATS };
const OWNER: CallerContext = { projectId: 'p1', userId: 'u1', roles: ['member'], isAdmin: false };
const ADMIN: CallerContext = { projectId: 'p0', userId: 'u0', roles: ['admin'], isAdmin: true };


/** Parses 2.1 operations and applies them. */
function patch(ops: unknown[], options: { record?: ImageRecord; caller?: CallerContext; dialect?: PatchDialect } = {}) {
  const dialect = options.dialect ?? '2.1';
  return patchRequest(options.caller ?? OWNER, options.record ?? image(), parsePatch(ops, dialect), dialect, FORMATS);
}

describe('dialectOf', () => {
  it.each([
    [PATCH_V21, '2.1'],
    [PATCH_V20, '2.0'],
  ])('knows %s', (mediaType, dialect) => expect(dialectOf(mediaType)).toBe(dialect));

  it('refuses any other media type with 415', () => {
    expect(failure(() => dialectOf('application/json'))).toEqual({
      code: 'unsupported_media_type',
      message: `Unsupported Content-Type application/json: use ${PATCH_V20}, ${PATCH_V21}`,
    });
  });
});

describe('parsePatch', () => {
  it('reads the same operations from both dialects', () => {
    const v21 = parsePatch([{ op: 'replace', path: '/name', value: 'x' }, { op: 'remove', path: '/os_distro' }], '2.1');
    const v20 = parsePatch([{ replace: '/name', value: 'x' }, { remove: '/os_distro' }], '2.0');
    expect(v21).toEqual([
      { op: 'replace', attribute: 'name', value: 'x' },
      { op: 'remove', attribute: 'os_distro', value: undefined },
    ]);
    expect(v20).toEqual(v21);
  });

  it.each([
    ['/a~1b~0c', 'a/b~c'],
    ['/~01', '~1'],
  ])('decodes the pointer %s as %s', (path, attribute) => {
    expect(parsePatch([{ op: 'add', path, value: 'v' }], '2.1')[0].attribute).toBe(attribute);
  });

  it.each([
    ['name', 'Pointer `name` does not start with "/".'],
    ['/name/', 'Pointer `/name/` end with "/".'],
    ['//name', 'Pointer `//name` contains adjacent "/".'],
    ['/a~2b', 'Pointer `/a~2b` contains "~" not part of a recognized escape sequence.'],
    ['/a~', 'Pointer `/a~` contains "~" not part of a recognized escape sequence.'],
    ['/locations/0', "Invalid JSON pointer for this resource: '/locations/0'"],
    [7, 'Pointer must be a string.'],
  ])('rejects the pointer %p with 400', (path, message) => {
    expect(failure(() => parsePatch([{ op: 'replace', path, value: 'v' }], '2.1'))).toEqual({ code: 'bad_request', message });
  });

  it.each<[string, unknown, PatchDialect, string]>([
    ['a non-array body', { op: 'add' }, '2.1', 'Request body must be a JSON array of operation objects.'],
    ['a non-object operation', ['add'], '2.1', 'Operations must be JSON objects.'],
    ['an unknown op', [{ op: 'move', path: '/a' }], '2.1', 'Operation "move" is not supported; use add, remove or replace.'],
    ['a 2.1 op without path', [{ op: 'add', value: 1 }], '2.1', "Unable to find 'path' in JSON Schema change"],
    ['two ops in one 2.0 object', [{ add: '/a', remove: '/b', value: 1 }], '2.0', 'Operation objects must contain exactly one member named "add", "remove", or "replace".'],
    ['a 2.1 op in a 2.0 body', [{ op: 'add', path: '/a', value: 1 }], '2.0', 'Operation objects must contain exactly one member named "add", "remove", or "replace".'],
    ['add without value', [{ op: 'add', path: '/a' }], '2.1', 'Operation "add" requires a member named "value".'],
  ])('rejects %s with 400', (_what, body, dialect, message) => {
    expect(failure(() => parsePatch(body, dialect))).toEqual({ code: 'bad_request', message });
  });
});

describe('patchRequest', () => {
  it('adds up all operations into one update', () => {
    const request = patch([
      { op: 'replace', path: '/name', value: 'cirros-0.6' },
      { op: 'replace', path: '/min_ram', value: 512 },
      { op: 'add', path: '/architecture', value: 'x86_64' },
      { op: 'replace', path: '/os_distro', value: 'alpine' },
      { op: 'remove', path: '/hw_machine' },
    ]);
    expect(request).toEqual({
      caller: OWNER,
      id: image().id,
      fields: { name: 'cirros-0.6', minRam: 512 },
      setProperties: { architecture: 'x86_64', os_distro: 'alpine' },
      removeProperties: ['hw_machine'],
      tags: undefined,
    });
  });

  it('leaves out what ends where it started', () => {
    const request = patch([
      { op: 'replace', path: '/name', value: 'other' },
      { op: 'replace', path: '/name', value: 'cirros' },
      { op: 'add', path: '/tmp', value: 'x' },
      { op: 'remove', path: '/tmp' },
      { op: 'replace', path: '/os_distro', value: 'cirros' },
      { op: 'replace', path: '/tags', value: ['b', 'a', 'a'] },
    ]);
    expect([request.fields, request.setProperties, request.removeProperties, request.tags]).toEqual([{}, {}, [], undefined]);
  });

  it('replaces the tag set, without duplicates, only when it changed', () => {
    expect(patch([{ op: 'replace', path: '/tags', value: ['c', 'a', 'c'] }]).tags).toEqual(['c', 'a']);
  });

  it.each<[PatchDialect, { code: string; message: string } | Record<string, string>]>([
    ['2.0', { code: 'conflict', message: 'Property os_distro already present.' }],
    ['2.1', { os_distro: 'alpine' }],
  ])('add of an existing custom property in %s', (dialect, outcome) => {
    const body = dialect === '2.0' ? [{ add: '/os_distro', value: 'alpine' }] : [{ op: 'add', path: '/os_distro', value: 'alpine' }];
    const run = () => patch(body, { dialect }).setProperties;
    expect('code' in outcome ? failure(run) : run()).toEqual(outcome);
  });

  it('add of a base attribute is a conflict in 2.0 and a replace in 2.1', () => {
    expect(failure(() => patch([{ add: '/name', value: 'x' }], { dialect: '2.0' }))).toEqual({
      code: 'conflict',
      message: 'Property name already present.',
    });
    expect(patch([{ op: 'add', path: '/name', value: 'x' }]).fields).toEqual({ name: 'x' });
  });

  it.each([
    ['replace of a missing property', { op: 'replace', path: '/nope', value: 'x' }, 'conflict', 'Property nope does not exist.'],
    ['remove of a missing property', { op: 'remove', path: '/nope' }, 'conflict', 'Property nope does not exist.'],
    ['replace of an inherited Object name', { op: 'replace', path: '/toString', value: 'x' }, 'conflict', 'Property toString does not exist.'],
    ['remove of an inherited Object name', { op: 'remove', path: '/constructor' }, 'conflict', 'Property constructor does not exist.'],
    ['remove of a base attribute', { op: 'remove', path: '/name' }, 'forbidden', "Attribute 'name' may not be removed."],
    ['a read-only attribute', { op: 'replace', path: '/status', value: 'active' }, 'forbidden', "Attribute 'status' is read-only."],
    ['the checksum', { op: 'add', path: '/checksum', value: 'x' }, 'forbidden', "Attribute 'checksum' is read-only."],
    ['the id', { op: 'replace', path: '/id', value: 'x' }, 'forbidden', "Attribute 'id' is read-only."],
    ['a reserved name', { op: 'add', path: '/deleted', value: 'x' }, 'forbidden', "Attribute 'deleted' is reserved."],
    ['an os_glance* name', { op: 'add', path: '/os_glance_import_task', value: 'x' }, 'forbidden', "Attribute 'os_glance_import_task' is reserved."],
    ['locations', { op: 'replace', path: '/locations', value: [] }, 'forbidden', "It's not allowed to update locations if locations are invisible."],
    ['a non-string property value', { op: 'add', path: '/n', value: 1 }, 'bad_request', "Provided object does not match schema 'image': 1 is not of type 'string' (n)"],
    ['an unknown disk format', { op: 'replace', path: '/disk_format', value: 'zip' }, 'bad_request', `Invalid disk_format 'zip' for image: it must be one of ${DEFAULT_DISK_FORMATS.join(', ')}.`],
    ['a negative min_disk', { op: 'replace', path: '/min_disk', value: -1 }, 'bad_request', "'-1' value out of range for min_disk: it must be between 0 and 2147483647."],
  ])('refuses %s', (_what, op, code, message) => {
    expect(failure(() => patch([op]))).toEqual({ code, message });
  });

  it('adds a custom property named like an Object member as a plain property', () => {
    const request = patch([{ add: '/constructor', value: 'x' }], { dialect: '2.0' });
    expect([request.setProperties, request.removeProperties]).toEqual([{ constructor: 'x' }, []]);
  });

  it.each([
    ['disk_format', 'raw', { diskFormat: 'raw' }],
    ['container_format', 'ovf', { containerFormat: 'ovf' }],
  ])('changes %s of a queued image but not of an active one', (attribute, value, fields) => {
    const op = { op: 'replace', path: `/${attribute}`, value };
    expect(patch([op]).fields).toEqual(fields);
    expect(failure(() => patch([op], { record: image({ status: 'active' }) }))).toEqual({
      code: 'forbidden',
      message: `Attribute ${attribute} can be only replaced for a queued image.`,
    });
  });

  it('allows restating the disk_format of an active image', () => {
    expect(patch([{ op: 'replace', path: '/disk_format', value: 'qcow2' }], { record: image({ status: 'active' }) }).fields).toEqual({});
  });

  it('lets only an admin change the owner', () => {
    const op = { op: 'replace', path: '/owner', value: 'p2' };
    expect(failure(() => patch([op]))).toEqual({ code: 'forbidden', message: "Attribute 'owner' can only be changed by an administrator." });
    expect(patch([op], { caller: ADMIN }).fields).toEqual({ owner: 'p2' });
  });

  it.each(['public', 'community', 'shared'])('carries a visibility change to %s', (visibility) => {
    expect(patch([{ op: 'replace', path: '/visibility', value: visibility }], { caller: ADMIN }).fields).toEqual({ visibility });
  });

  it('removes an own property named like an Object member', () => {
    const request = patch([{ op: 'remove', path: '/constructor' }], { record: image({ properties: { constructor: 'x' } }) });
    expect(request.removeProperties).toEqual(['constructor']);
  });
});
