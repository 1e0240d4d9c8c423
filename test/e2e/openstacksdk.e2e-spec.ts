import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../support/run-process';
import { type Mode, type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { qcow2Image } from '../support/disk-images';
import { ADMIN, ALICE, BOB, type Identity, api } from '../support/http';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

/** Debian's python3-openstacksdk 0.101 is installed for the system python, not for a pyenv one on PATH. */
const PYTHON = process.env['GLIMPSE_SDK_PYTHON'] ?? '/usr/bin/python3';
const DRIVER = join(__dirname, 'sdk_driver.py');
/** One run of the driver (about 1 s on an idle machine, mostly importing openstack). */
const RUN_TIMEOUT = 30000;
/** One test: up to three runs, on two shared cores. */
const SDK_TIMEOUT = 90000;

type Who = 'alice' | 'bob' | 'admin';
const IDENTITIES: Record<Who | 'nobody', Identity | { anonymous: true }> = { alice: ALICE, bob: BOB, admin: ADMIN, nobody: { anonymous: true } };

interface Op {
  as: Who | 'nobody';
  call: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
}

interface SdkError {
  type: string;
  message: string;
  status_code?: number;
  details?: string;
}

interface OpResult {
  ok: boolean;
  value?: any;
  error?: SdkError;
  /** [method, url, status] of every HTTP exchange the call caused. */
  requests: [string, string, number][];
}

/** One run of sdk_driver.py: every op in order, each identity with its own session and Connection. */
async function runSdk(url: string, ops: Op[]): Promise<OpResult[]> {
  const { code, stdout, stderr } = await runProcess(PYTHON, [DRIVER], {
    env: { PATH: '/usr/bin:/bin', HOME: tmpdir(), PYTHONDONTWRITEBYTECODE: '1' },
    input: JSON.stringify({ endpoint: url, identities: IDENTITIES, ops }),
    timeoutMs: RUN_TIMEOUT,
  });
  if (code !== 0) throw new Error(`sdk_driver.py exited ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`sdk_driver.py printed no JSON\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
}

/**
 * The exchanges of a call without the SDK's version discovery (`GET /` → 300), which comes
 * before an identity's first call.
 */
function exchanges(result: OpResult): [string, string, number][] {
  return result.requests.filter(([method, url]) => !(method === 'GET' && new URL(url).pathname === '/'));
}

/** The value of a call that must have succeeded (the SDK's error in the failure message otherwise). */
function value(result: OpResult): any {
  if (!result.ok) throw new Error(`SDK call failed: ${JSON.stringify(result.error)}\nrequests: ${JSON.stringify(result.requests)}`);
  return result.value;
}

/** The error of a call that must have failed. */
function failure(result: OpResult): SdkError {
  if (result.ok) throw new Error(`SDK call unexpectedly succeeded: ${JSON.stringify(result.value).slice(0, 500)}`);
  return result.error!;
}

const ids = (images: { id: string }[]) => images.map((i) => i.id).sort();
const bytesOf = (serialised: { __response__: { content: string } }) => Buffer.from(serialised.__response__.content, 'base64');

/**
 * openstacksdk 0.101 (`conn.image.*`) against a running Glimpse in trusted mode. Each identity
 * (project-a member, project-b member, admin) has its own keystoneauth session whose requests
 * carry the headers an authenticating proxy sets; the SDK finds the v2 endpoint from the
 * versions document, as it does against Glance.
 */
describe.each(['embedded', 'cluster'] as Mode[])('openstacksdk against Glimpse (%s)', (mode) => {
  let glimpse: RunningGlimpse;
  let work: string;
  let sdk: (...ops: Op[]) => Promise<OpResult[]>;
  let http: Record<Who, ReturnType<typeof api>>;

  const data: Record<string, Buffer> = {};
  const files: Record<string, string> = {};
  /** Image ids by role: a1 private (project-a), a2 and a3 shared (project-a), b1 private (project-b), p1 public (admin). */
  const id: Record<string, string> = {};

  beforeAll(async () => {
    glimpse = await startGlimpse(mode, { GLIMPSE_AUTH_STRATEGY: 'trusted' });
    work = mkdtempSync(join(tmpdir(), `glimpse-e2e-sdk-${mode}-`));
    for (const [key, size] of [['a1', 1536 * 1024 + 7], ['a2', 64 * 1024], ['a3', 4096], ['b1', 8192], ['p1', 1000]] as const) {
      files[key] = join(work, `${key}.img`);
      // a1 is uploaded as qcow2, which it must then be: bare uploads are format-inspected
      data[key] = key === 'a1' ? qcow2Image(files[key], size) : randomBytes(size);
      if (key !== 'a1') writeFileSync(files[key], data[key]);
    }
    sdk = (...ops) => runSdk(glimpse.url, ops);
    http = { alice: api(glimpse.url, ALICE), bob: api(glimpse.url, BOB), admin: api(glimpse.url, ADMIN) };
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function apiIds(who: Who): Promise<string[]> {
    const res = await http[who].get('/v2/images');
    expect(res.status).toBe(200);
    return ids(res.json().images);
  }

  async function apiImage(imageId: string, who: Who = 'admin'): Promise<Record<string, any>> {
    const res = await http[who].get(`/v2/images/${imageId}`);
    expect(res.status).toBe(200);
    return res.json();
  }

  it('a session without the trusted identity headers is refused: 401 from the API, nothing listed', async () => {
    const [listed, created] = await sdk(
      { as: 'nobody', call: 'images' },
      { as: 'nobody', call: 'create_image', args: [`sdk-${mode}-anonymous`], kwargs: { filename: files['p1'], disk_format: 'raw', container_format: 'bare', allow_duplicates: true } },
    );
    expect(failure(listed)).toMatchObject({ type: 'HttpException', status_code: 401 });
    expect(exchanges(listed)).toEqual([['GET', `${glimpse.url}/v2/images`, 401]]);
    expect(failure(created).message).toMatch(/401/);
    expect(exchanges(created).map(([m, u, st]) => `${m} ${new URL(u).pathname} ${st}`)).toEqual(['POST /v2/images 401']);
    expect(await apiIds('admin')).toEqual([]);
  }, SDK_TIMEOUT);

  it('create_image uploads a file; get_image shows it active with the md5 checksum and the sha512 os_hash_value', async () => {
    const sha256 = createHash('sha256').update(data['a1']).digest('hex');
    const [created, fetched, again] = await sdk(
      {
        as: 'alice', call: 'create_image', args: [`sdk-${mode}-a1`],
        kwargs: {
          filename: files['a1'], disk_format: 'qcow2', container_format: 'bare', visibility: 'private', colour: 'red',
          // the SDK hashes the file, records the hashes as properties and compares the checksum after the upload
          validate_checksum: true,
        },
      },
      { as: 'alice', call: 'find_image', args: [`sdk-${mode}-a1`] },
      // same name, same hashes: the SDK finds the image and creates nothing
      { as: 'alice', call: 'create_image', args: [`sdk-${mode}-a1`], kwargs: { filename: files['a1'], disk_format: 'qcow2', container_format: 'bare', validate_checksum: true } },
    );
    const image = value(created);
    id['a1'] = image.id;
    expect(image).toMatchObject({ __type__: 'Image', name: `sdk-${mode}-a1`, disk_format: 'qcow2', container_format: 'bare', visibility: 'private', owner: 'project-a' });
    expect(image.properties).toMatchObject({ colour: 'red', 'owner_specified.openstack.md5': md5(data['a1']), 'owner_specified.openstack.sha256': sha256 });
    const calls = exchanges(created).map(([method, url, status]) => `${method} ${new URL(url).pathname} ${status}`);
    expect(calls).toEqual([
      `GET /v2/images/sdk-${mode}-a1 404`, // find_image: by id first, then by name
      'GET /v2/images 200',
      'GET /v2/images 200', // and among hidden images
      'POST /v2/images 201',
      `PUT /v2/images/${image.id}/file 204`,
      `GET /v2/images/${image.id} 200`, // validate_checksum
    ]);

    const shown = value(fetched);
    expect(shown).toMatchObject({
      id: image.id, status: 'active', size: data['a1'].length, checksum: md5(data['a1']),
      hash_algo: 'sha512', hash_value: sha512(data['a1']), is_protected: false, is_hidden: false,
      owner: 'project-a', visibility: 'private', tags: [],
    });
    expect(shown.properties).toMatchObject({ colour: 'red' });

    expect(value(again)).toMatchObject({ id: image.id, status: 'active' });
    expect(exchanges(again).map(([method]) => method)).not.toContain('POST');

    expect(await apiImage(image.id, 'alice')).toMatchObject({
      id: image.id, status: 'active', size: data['a1'].length, checksum: md5(data['a1']),
      os_hash_algo: 'sha512', os_hash_value: sha512(data['a1']), colour: 'red', owner: 'project-a',
      'owner_specified.openstack.md5': md5(data['a1']), 'owner_specified.openstack.sha256': sha256,
    });
    expect(await apiIds('admin')).toEqual([image.id]);
  }, SDK_TIMEOUT);

  it('create_image for the other images: shared with a tag, private in project-b, public by the admin', async () => {
    const results = await sdk(
      { as: 'alice', call: 'create_image', args: [`sdk-${mode}-a2`], kwargs: { filename: files['a2'], disk_format: 'raw', container_format: 'bare', visibility: 'shared', tags: ['gold'] } },
      { as: 'alice', call: 'create_image', args: [`sdk-${mode}-a3`], kwargs: { filename: files['a3'], disk_format: 'raw', container_format: 'bare' } },
      { as: 'bob', call: 'create_image', args: [`sdk-${mode}-b1`], kwargs: { filename: files['b1'], disk_format: 'raw', container_format: 'bare', visibility: 'private' } },
      { as: 'admin', call: 'create_image', args: [`sdk-${mode}-p1`], kwargs: { filename: files['p1'], disk_format: 'raw', container_format: 'bare', visibility: 'public' } },
    );
    const [a2, a3, b1, p1] = results.map(value);
    Object.assign(id, { a2: a2.id, a3: a3.id, b1: b1.id, p1: p1.id });
    expect(a2).toMatchObject({ visibility: 'shared', tags: ['gold'], owner: 'project-a' });
    expect(a3).toMatchObject({ visibility: 'shared', owner: 'project-a' }); // Glance's default
    expect(b1).toMatchObject({ visibility: 'private', owner: 'project-b' });
    expect(p1).toMatchObject({ visibility: 'public', owner: 'admin-project' });
    for (const key of ['a2', 'a3', 'b1', 'p1']) {
      expect(await apiImage(id[key])).toMatchObject({ status: 'active', size: data[key].length, os_hash_value: sha512(data[key]) });
    }
  }, SDK_TIMEOUT);

  it('images() filters by visibility, tag and owner, and each project sees only what it may', async () => {
    const [all, priv, shared, gold, owned, bobs, adminAll, adminOwner] = (
      await sdk(
        { as: 'alice', call: 'images' },
        { as: 'alice', call: 'images', kwargs: { visibility: 'private' } },
        { as: 'alice', call: 'images', kwargs: { visibility: 'shared' } },
        { as: 'alice', call: 'images', kwargs: { tag: 'gold' } },
        { as: 'alice', call: 'images', kwargs: { owner: 'project-a' } },
        { as: 'bob', call: 'images' },
        { as: 'admin', call: 'images' },
        { as: 'admin', call: 'images', kwargs: { owner: 'project-a' } },
      )
    ).map(value);
    expect(ids(all)).toEqual([id['a1'], id['a2'], id['a3'], id['p1']].sort());
    expect(ids(priv)).toEqual([id['a1']]);
    expect(ids(shared)).toEqual([id['a2'], id['a3']].sort());
    expect(ids(gold)).toEqual([id['a2']]);
    expect(gold[0]).toMatchObject({ __type__: 'Image', name: `sdk-${mode}-a2`, tags: ['gold'], hash_value: sha512(data['a2']) });
    expect(ids(owned)).toEqual([id['a1'], id['a2'], id['a3']].sort());
    // project-b sees its own and the public image, nothing of project-a's
    expect(ids(bobs)).toEqual([id['b1'], id['p1']].sort());
    // the admin sees every image
    expect(ids(adminAll)).toEqual(Object.values(id).sort());
    expect(ids(adminOwner)).toEqual([id['a1'], id['a2'], id['a3']].sort());

    const listed = (await http.alice.get('/v2/images')).json().images as { id: string }[];
    expect(ids(listed)).toEqual(ids(all));
  }, SDK_TIMEOUT);

  it('images(limit=2) follows the pages: every image once, in the requested order, over several requests', async () => {
    const [paged, whole] = await sdk(
      { as: 'admin', call: 'images', kwargs: { limit: 2, sort_key: 'name', sort_dir: 'asc' } },
      { as: 'admin', call: 'images', kwargs: { sort_key: 'name', sort_dir: 'asc' } },
    );
    const names = value(paged).map((i: { name: string }) => i.name);
    expect(names).toEqual(['a1', 'a2', 'a3', 'b1', 'p1'].map((k) => `sdk-${mode}-${k}`));
    expect(value(whole).map((i: { id: string }) => i.id)).toEqual(value(paged).map((i: { id: string }) => i.id));

    const pagedIds = value(paged).map((i: { id: string }) => i.id);
    const gets = exchanges(paged).filter(([method, url]) => method === 'GET' && new URL(url).pathname === '/v2/images');
    for (const [, url, status] of gets) {
      expect(status).toBe(200);
      const query = new URL(url).searchParams;
      expect([query.get('limit'), query.get('sort_key'), query.get('sort_dir')]).toEqual(['2', 'name', 'asc']);
    }
    // pages of 2, 2 and 1, each after the last image of the one before; the short last page has
    // no `next`, and sdk 0.101 still asks once more after it (an empty page) when given a limit
    expect(gets.map(([, url]) => new URL(url).searchParams.get('marker'))).toEqual([null, pagedIds[1], pagedIds[3], pagedIds[4]]);

    const first = (await http.admin.get('/v2/images?limit=2&sort_key=name&sort_dir=asc')).json();
    expect(first.images.map((i: { id: string }) => i.id)).toEqual(pagedIds.slice(0, 2));
    expect(new URL(first.next, glimpse.url).searchParams.get('marker')).toBe(pagedIds[1]);
    const last = (await http.admin.get(`/v2/images?limit=2&sort_key=name&sort_dir=asc&marker=${pagedIds[3]}`)).json();
    expect(last.images.map((i: { id: string }) => i.id)).toEqual([pagedIds[4]]);
    expect(last).not.toHaveProperty('next');
    expect(exchanges(whole).filter(([method]) => method === 'GET')).toHaveLength(1);
  }, SDK_TIMEOUT);

  it('get_image: a private image is not found for project-b, found for its owner and the admin', async () => {
    const [bob, alice, admin] = await sdk(
      { as: 'bob', call: 'get_image', args: [id['a1']] },
      { as: 'alice', call: 'get_image', args: [id['a1']] },
      { as: 'admin', call: 'get_image', args: [id['a1']] },
    );
    expect(failure(bob)).toMatchObject({ type: 'ResourceNotFound', status_code: 404 });
    expect(exchanges(bob).at(-1)).toEqual(['GET', `${glimpse.url}/v2/images/${id['a1']}`, 404]);
    expect(value(alice)).toMatchObject({ id: id['a1'], owner: 'project-a' });
    expect(value(admin)).toMatchObject({ id: id['a1'], owner: 'project-a', hash_value: sha512(data['a1']) });
    expect((await http.bob.get(`/v2/images/${id['a1']}`)).status).toBe(404);
  }, SDK_TIMEOUT);

  it('update_image renames and adds a custom property; get_image and the API agree', async () => {
    const [updated, fetched] = await sdk(
      { as: 'alice', call: 'update_image', args: [id['a1']], kwargs: { name: `sdk-${mode}-a1-renamed`, shade: 'dark' } },
      { as: 'alice', call: 'get_image', args: [id['a1']] },
    );
    expect(exchanges(updated).map(([m, u, s]) => [m, new URL(u).pathname, s])).toContainEqual(['PATCH', `/v2/images/${id['a1']}`, 200]);
    expect(value(updated)).toMatchObject({ id: id['a1'], name: `sdk-${mode}-a1-renamed` });
    expect(value(updated).properties).toMatchObject({ shade: 'dark', colour: 'red' });
    expect(value(fetched)).toMatchObject({ name: `sdk-${mode}-a1-renamed`, status: 'active', hash_value: sha512(data['a1']) });
    expect(value(fetched).properties).toMatchObject({ shade: 'dark', colour: 'red' });
    expect(await apiImage(id['a1'])).toMatchObject({ name: `sdk-${mode}-a1-renamed`, shade: 'dark', colour: 'red' });

    const [forbidden] = await sdk({ as: 'bob', call: 'update_image', args: [id['a1']], kwargs: { name: 'stolen' } });
    expect(failure(forbidden).status_code).toBe(404);
    expect((await apiImage(id['a1'])).name).toBe(`sdk-${mode}-a1-renamed`);
  }, SDK_TIMEOUT);

  it('add_tag and remove_tag: get_image and images(tag=) follow', async () => {
    const [added, afterAdd, byTag, removed, afterRemove, byTagAfter] = await sdk(
      { as: 'alice', call: 'add_tag', args: [id['a1'], 'sdk-tag'] },
      { as: 'alice', call: 'get_image', args: [id['a1']] },
      { as: 'alice', call: 'images', kwargs: { tag: 'sdk-tag' } },
      { as: 'alice', call: 'remove_tag', args: [id['a1'], 'sdk-tag'] },
      { as: 'alice', call: 'get_image', args: [id['a1']] },
      { as: 'alice', call: 'images', kwargs: { tag: 'sdk-tag' } },
    );
    value(added);
    expect(exchanges(added)).toEqual([['PUT', `${glimpse.url}/v2/images/${id['a1']}/tags/sdk-tag`, 204]]);
    expect(value(afterAdd).tags).toEqual(['sdk-tag']);
    expect(ids(value(byTag))).toEqual([id['a1']]);
    value(removed);
    expect(exchanges(removed)).toEqual([['DELETE', `${glimpse.url}/v2/images/${id['a1']}/tags/sdk-tag`, 204]]);
    expect(value(afterRemove).tags).toEqual([]);
    expect(value(byTagAfter)).toEqual([]);
    expect((await apiImage(id['a1'])).tags).toEqual([]);
  }, SDK_TIMEOUT);

  it('download_image returns the uploaded bytes (in memory and into a file), checked against Content-MD5', async () => {
    const out = join(work, 'a1.out');
    const [inMemory, toFile] = await sdk(
      { as: 'alice', call: 'download_image', args: [id['a1']] },
      { as: 'alice', call: 'download_image', args: [id['a1']], kwargs: { output: out } },
    );
    const response = value(inMemory).__response__;
    expect(response.status_code).toBe(200);
    expect(response.headers['content-md5']).toBe(md5(data['a1']));
    expect(response.headers['content-length']).toBe(String(data['a1'].length));
    expect(bytesOf(value(inMemory)).equals(data['a1'])).toBe(true);
    // Content-MD5 was present, so the SDK verified without a second GET of the image
    expect(exchanges(inMemory)).toEqual([['GET', `${glimpse.url}/v2/images/${id['a1']}/file`, 200]]);
    value(toFile);
    expect(readFileSync(out).equals(data['a1'])).toBe(true);
  }, SDK_TIMEOUT);

  it('members: add_member (pending), members(), get_member; the owner may not accept; project-b accepts and sees the image', async () => {
    const [added, listedByOwner, got, bobDefault, bobPending, bobPendingShared, bobGet, ownerAccepts] = await sdk(
      { as: 'alice', call: 'add_member', args: [id['a2']], kwargs: { member_id: 'project-b' } },
      { as: 'alice', call: 'members', args: [id['a2']] },
      { as: 'alice', call: 'get_member', args: ['project-b', id['a2']] },
      { as: 'bob', call: 'images' },
      { as: 'bob', call: 'images', kwargs: { member_status: 'pending' } },
      { as: 'bob', call: 'images', kwargs: { member_status: 'pending', visibility: 'shared' } },
      { as: 'bob', call: 'get_image', args: [id['a2']] },
      { as: 'alice', call: 'update_member', args: ['project-b', id['a2']], kwargs: { status: 'accepted' } },
    );
    expect(value(added)).toMatchObject({ __type__: 'Member', member_id: 'project-b', status: 'pending' });
    expect(exchanges(added)).toEqual([['POST', `${glimpse.url}/v2/images/${id['a2']}/members`, 200]]);
    expect(value(listedByOwner)).toHaveLength(1);
    expect(value(listedByOwner)[0]).toMatchObject({ member_id: 'project-b', status: 'pending', schema: '/v2/schemas/member' });
    expect(value(got)).toMatchObject({ member_id: 'project-b', status: 'pending' });
    expect(value(got).created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // pending: not in project-b's default list (member_status=accepted), but listed with
    // member_status=pending (which filters only the images shared with it) and readable by id
    expect(ids(value(bobDefault))).toEqual([id['b1'], id['p1']].sort());
    expect(ids(value(bobPending))).toEqual([id['a2'], id['b1'], id['p1']].sort());
    expect(ids(value(bobPendingShared))).toEqual([id['a2']]);
    expect(value(bobGet)).toMatchObject({ id: id['a2'], owner: 'project-a', hash_value: sha512(data['a2']) });
    // only the member may change its status
    expect(failure(ownerAccepts)).toMatchObject({ type: 'HttpException', status_code: 403 });
    expect(exchanges(ownerAccepts)).toEqual([['PUT', `${glimpse.url}/v2/images/${id['a2']}/members/project-b`, 403]]);

    const [bobAccepts, bobAfter, bobShared, bobDownload, ownerSees] = await sdk(
      { as: 'bob', call: 'update_member', args: ['project-b', id['a2']], kwargs: { status: 'accepted' } },
      { as: 'bob', call: 'images' },
      { as: 'bob', call: 'images', kwargs: { visibility: 'shared' } },
      { as: 'bob', call: 'download_image', args: [id['a2']] },
      { as: 'alice', call: 'get_member', args: ['project-b', id['a2']] },
    );
    expect(value(bobAccepts)).toMatchObject({ member_id: 'project-b', status: 'accepted' });
    expect(ids(value(bobAfter))).toEqual([id['a2'], id['b1'], id['p1']].sort());
    expect(ids(value(bobShared))).toEqual([id['a2']]);
    expect(bytesOf(value(bobDownload)).equals(data['a2'])).toBe(true);
    expect(value(ownerSees)).toMatchObject({ member_id: 'project-b', status: 'accepted' });

    const members = await http.alice.get(`/v2/images/${id['a2']}/members`);
    expect(members.json().members).toEqual([expect.objectContaining({ member_id: 'project-b', image_id: id['a2'], status: 'accepted' })]);
  }, SDK_TIMEOUT);

  it('remove_member: the image leaves project-b\'s list and is no longer found for it', async () => {
    const [removed, listed, bobList, bobGet] = await sdk(
      { as: 'alice', call: 'remove_member', args: ['project-b'], kwargs: { image: id['a2'], ignore_missing: false } },
      { as: 'alice', call: 'members', args: [id['a2']] },
      { as: 'bob', call: 'images' },
      { as: 'bob', call: 'get_image', args: [id['a2']] },
    );
    value(removed);
    expect(exchanges(removed)).toEqual([['DELETE', `${glimpse.url}/v2/images/${id['a2']}/members/project-b`, 204]]);
    expect(value(listed)).toEqual([]);
    expect(ids(value(bobList))).toEqual([id['b1'], id['p1']].sort());
    expect(failure(bobGet)).toMatchObject({ type: 'ResourceNotFound', status_code: 404 });

    const [again] = await sdk({ as: 'alice', call: 'remove_member', args: ['project-b'], kwargs: { image: id['a2'], ignore_missing: false } });
    expect(failure(again)).toMatchObject({ type: 'ResourceNotFound', status_code: 404 });
  }, SDK_TIMEOUT);

  it('deactivate_image forbids downloads by non-admins (the admin still may); reactivate_image restores them', async () => {
    const [deactivated, shown, refused, streamed, adminDownload] = await sdk(
      { as: 'alice', call: 'deactivate_image', args: [id['a1']] },
      { as: 'alice', call: 'get_image', args: [id['a1']] },
      { as: 'alice', call: 'download_image', args: [id['a1']] },
      { as: 'alice', call: 'download_image', args: [id['a1']], kwargs: { stream: true } },
      { as: 'admin', call: 'download_image', args: [id['a1']] },
    );
    value(deactivated);
    expect(exchanges(deactivated)).toEqual([['POST', `${glimpse.url}/v2/images/${id['a1']}/actions/deactivate`, 204]]);
    expect(value(shown)).toMatchObject({ id: id['a1'], status: 'deactivated' });
    // sdk 0.101 does not raise on the 403 itself: it finds no Content-MD5, fetches the image and
    // rejects the error body because its md5 is not the image's checksum; it never returns data
    failure(refused);
    expect(exchanges(refused)[0]).toEqual(['GET', `${glimpse.url}/v2/images/${id['a1']}/file`, 403]);
    const denied = value(streamed).__response__;
    expect(denied.status_code).toBe(403);
    expect(Buffer.from(denied.content, 'base64').toString()).toContain('deactivated');
    expect(bytesOf(value(adminDownload)).equals(data['a1'])).toBe(true);
    expect((await apiImage(id['a1'])).status).toBe('deactivated');

    const [reactivated, shownAgain, downloaded] = await sdk(
      { as: 'alice', call: 'reactivate_image', args: [id['a1']] },
      { as: 'alice', call: 'get_image', args: [id['a1']] },
      { as: 'alice', call: 'download_image', args: [id['a1']] },
    );
    value(reactivated);
    expect(exchanges(reactivated)).toEqual([['POST', `${glimpse.url}/v2/images/${id['a1']}/actions/reactivate`, 204]]);
    expect(value(shownAgain)).toMatchObject({ status: 'active', checksum: md5(data['a1']) });
    expect(bytesOf(value(downloaded)).equals(data['a1'])).toBe(true);
  }, SDK_TIMEOUT);

  it('delete_image: gone for everyone; another project cannot delete what it cannot see', async () => {
    const [bobDeletes, deleted, got, again, tolerant] = await sdk(
      { as: 'bob', call: 'delete_image', args: [id['a3']], kwargs: { ignore_missing: false } },
      { as: 'alice', call: 'delete_image', args: [id['a1']], kwargs: { ignore_missing: false } },
      { as: 'alice', call: 'get_image', args: [id['a1']] },
      { as: 'alice', call: 'delete_image', args: [id['a1']], kwargs: { ignore_missing: false } },
      { as: 'alice', call: 'delete_image', args: [id['a1']] },
    );
    expect(failure(bobDeletes)).toMatchObject({ type: 'ResourceNotFound', status_code: 404 });
    expect((await apiImage(id['a3'])).status).toBe('active');
    value(deleted);
    expect(exchanges(deleted)).toEqual([['DELETE', `${glimpse.url}/v2/images/${id['a1']}`, 204]]);
    expect(failure(got)).toMatchObject({ type: 'ResourceNotFound', status_code: 404 });
    expect(failure(again)).toMatchObject({ type: 'ResourceNotFound', status_code: 404 });
    expect(value(tolerant)).toBeNull();
    expect((await http.admin.get(`/v2/images/${id['a1']}`)).status).toBe(404);

    const [adminList] = await sdk({ as: 'admin', call: 'images' });
    expect(ids(value(adminList))).toEqual([id['a2'], id['a3'], id['b1'], id['p1']].sort());
  }, SDK_TIMEOUT);
  it('create_image without data leaves the image queued (download: no data); upload_image creates and uploads from an open file', async () => {
    const [created, queued, uploaded, active] = await sdk(
      { as: 'bob', call: 'create_image', args: [`sdk-${mode}-q1`], kwargs: { disk_format: 'raw', container_format: 'bare', visibility: 'private' } },
      { as: 'bob', call: 'find_image', args: [`sdk-${mode}-q1`] },
      { as: 'bob', call: 'upload_image', kwargs: { name: `sdk-${mode}-u1`, disk_format: 'raw', container_format: 'bare', data: { __file__: files['b1'] } } },
      { as: 'bob', call: 'find_image', args: [`sdk-${mode}-u1`] },
    );
    const q1 = value(created);
    expect(q1).toMatchObject({ name: `sdk-${mode}-q1`, status: 'queued', owner: 'project-b', size: null, checksum: null });
    expect(exchanges(created).map(([m, u]) => `${m} ${new URL(u).pathname}`)).not.toContain(`PUT /v2/images/${q1.id}/file`);
    expect(value(queued)).toMatchObject({ id: q1.id, status: 'queued', size: null, hash_value: null });
    const [noData] = await sdk({ as: 'bob', call: 'download_image', args: [q1.id], kwargs: { stream: true } });
    expect(value(noData).__response__).toMatchObject({ status_code: 204, content: '' });

    const u1 = value(uploaded);
    expect(exchanges(uploaded).map(([m, u, status]) => `${m} ${new URL(u).pathname} ${status}`)).toEqual([
      'POST /v2/images 201',
      `PUT /v2/images/${u1.id}/file 204`,
    ]);
    expect(value(active)).toMatchObject({
      id: u1.id, status: 'active', size: data['b1'].length, checksum: md5(data['b1']), hash_value: sha512(data['b1']),
    });

    const deleted = await sdk(
      { as: 'bob', call: 'delete_image', args: [q1.id], kwargs: { ignore_missing: false } },
      { as: 'bob', call: 'delete_image', args: [u1.id], kwargs: { ignore_missing: false } },
    );
    deleted.forEach(value);
    expect((await http.admin.get(`/v2/images/${q1.id}`)).status).toBe(404);
    expect((await http.admin.get(`/v2/images/${u1.id}`)).status).toBe(404);
  }, SDK_TIMEOUT);
});
