import { randomBytes, randomUUID } from 'node:crypto';
import { type Target, type TargetKind, startTarget } from '../support/target';
import { ADMIN, ALICE, BOB, type Identity, api, download, upload } from '../support/http';

const CAROL: Identity = { project: 'project-c', roles: ['member', 'reader'], user: 'carol' };
const READER: Identity = { project: ALICE.project, roles: ['reader'], user: 'alice-reader' };

/** Members, visibility across projects, actions and quotas, modelled on Glance's functional tests. */
export function describeSharing(mode: TargetKind): void {
  describe(`sharing, actions and quotas (${mode})`, () => {
    let glimpse: Target;
    const isGlance = mode === 'glance';
    let alice: ReturnType<typeof api>;
    let bob: ReturnType<typeof api>;
    let carol: ReturnType<typeof api>;
    let admin: ReturnType<typeof api>;

    beforeAll(async () => {
      glimpse = await startTarget(mode, {
        imageMemberQuota: 2,
        imageTagQuota: 3,
        imagePropertyQuota: 3,
        userStorageQuota: '10KB',
      });
      alice = api(glimpse.url, ALICE);
      bob = api(glimpse.url, BOB);
      carol = api(glimpse.url, CAROL);
      admin = api(glimpse.url, ADMIN);
    }, 60000);

    afterAll(async () => {
      await glimpse?.stop();
    });

    const create = async (body: Record<string, unknown> = {}, who = alice) => {
      const res = await who.post('/v2/images', { name: 'shared', disk_format: 'raw', container_format: 'bare', ...body });
      expect(res.status).toBe(201);
      return res.json<Record<string, any>>();
    };
    const listed = async (who: ReturnType<typeof api>, query = '') =>
      (await who.get(`/v2/images?limit=1000${query}`)).json().images.map((i: any) => i.id) as string[];

    describe('members', () => {
      it('follows the member lifecycle across three projects, as Glance', async () => {
        const image = await create();
        const path = `/v2/images/${image.id}/members`;
        expect((await bob.get(`/v2/images/${image.id}`)).status).toBe(404);

        const added = await alice.post(path, { member: BOB.project });
        expect(added.status).toBe(200);
        expect(added.json()).toMatchObject({ member_id: BOB.project, image_id: image.id, status: 'pending', schema: '/v2/schemas/member' });
        expect((await alice.post(path, { member: BOB.project })).status).toBe(409);
        expect((await alice.post(path, { member: CAROL.project })).status).toBe(200);

        // A pending member can GET the image but does not see it in the default list.
        expect((await bob.get(`/v2/images/${image.id}`)).status).toBe(200);
        expect(await listed(bob)).not.toContain(image.id);
        expect(await listed(bob, '&member_status=pending')).toContain(image.id);
        expect((await carol.get(`/v2/images/${image.id}`)).status).toBe(200);

        // The owner sees every member, a member sees only itself.
        expect((await alice.get(path)).json().members.map((m: any) => m.member_id).sort()).toEqual([BOB.project, CAROL.project]);
        expect((await bob.get(path)).json().members.map((m: any) => m.member_id)).toEqual([BOB.project]);
        expect((await bob.get(`${path}/${CAROL.project}`)).status).toBe(404);

        // Only the member changes its status; the owner gets 403.
        expect((await alice.put(`${path}/${BOB.project}`, { status: 'accepted' })).status).toBe(403);
        expect((await bob.put(`${path}/${BOB.project}`, { status: 'maybe' })).status).toBe(400);
        const accepted = await bob.put(`${path}/${BOB.project}`, { status: 'accepted' });
        expect(accepted.status).toBe(200);
        expect(accepted.json().status).toBe('accepted');
        expect(await listed(bob)).toContain(image.id);
        expect(await listed(bob, '&visibility=shared')).toContain(image.id);
        expect((await alice.get(`${path}/${BOB.project}`)).json().status).toBe('accepted');

        // A rejected member still GETs the image, and lists it only when asking for rejected.
        expect((await carol.put(`${path}/${CAROL.project}`, { status: 'rejected' })).status).toBe(200);
        expect((await carol.get(`/v2/images/${image.id}`)).status).toBe(200);
        expect(await listed(carol)).not.toContain(image.id);
        expect(await listed(carol, '&member_status=rejected')).toContain(image.id);
        expect(await listed(carol, '&member_status=all')).toContain(image.id);

        // A member may not remove itself; the owner may.
        expect((await bob.del(`${path}/${BOB.project}`)).status).toBe(403);
        expect((await alice.del(`${path}/${BOB.project}`)).status).toBe(204);
        expect((await bob.get(`/v2/images/${image.id}`)).status).toBe(404);
        expect((await alice.del(`${path}/${BOB.project}`)).status).toBe(404);
      });

      it('has members only on shared images (403), and refuses an empty member (400)', async () => {
        const image = await create({ visibility: 'private' });
        expect((await alice.post(`/v2/images/${image.id}/members`, { member: BOB.project })).status).toBe(403);
        expect((await alice.get(`/v2/images/${image.id}/members`)).status).toBe(403);
        const shared = await create();
        expect((await alice.post(`/v2/images/${shared.id}/members`, { member: '' })).status).toBe(400);
        expect((await alice.post(`/v2/images/${shared.id}/members`, {})).status).toBe(400);
      });

      it('answers members of an invisible image with 404 and keeps non-owners from adding members', async () => {
        const image = await create();
        expect((await bob.get(`/v2/images/${image.id}/members`)).status).toBe(404);
        expect((await bob.post(`/v2/images/${image.id}/members`, { member: BOB.project })).status).toBe(404);
        await alice.post(`/v2/images/${image.id}/members`, { member: BOB.project });
        expect((await bob.post(`/v2/images/${image.id}/members`, { member: CAROL.project })).status).toBe(403);
      });

      it('enforces image_member_quota with 413', async () => {
        const image = await create();
        const path = `/v2/images/${image.id}/members`;
        expect((await alice.post(path, { member: 'p1' })).status).toBe(200);
        expect((await alice.post(path, { member: 'p2' })).status).toBe(200);
        expect((await alice.post(path, { member: 'p3' })).status).toBe(413);
      });
    });

    describe('visibility', () => {
      it('lists community images only on request, and lets any project GET them', async () => {
        const image = await create({ visibility: 'community' });
        expect((await bob.get(`/v2/images/${image.id}`)).status).toBe(200);
        expect(await listed(bob)).not.toContain(image.id);
        expect(await listed(bob, '&visibility=community')).toContain(image.id);
        expect(await listed(alice)).toContain(image.id);
      });

      it('hides os_hidden images from the default list and shows only them with os_hidden=true', async () => {
        const hidden = await create({ os_hidden: true });
        const shown = await create();
        expect(await listed(alice)).not.toContain(hidden.id);
        const onlyHidden = await listed(alice, '&os_hidden=true');
        expect(onlyHidden).toContain(hidden.id);
        expect(onlyHidden).not.toContain(shown.id);
      });

      it('lets a reader see but not create or change', async () => {
        const reader = api(glimpse.url, READER);
        const image = await create();
        expect((await reader.get(`/v2/images/${image.id}`)).status).toBe(200);
        expect((await reader.post('/v2/images', { name: 'no' })).status).toBe(403);
        expect((await reader.patch(`/v2/images/${image.id}`, [{ op: 'replace', path: '/name', value: 'x' }])).status).toBe(403);
        expect((await reader.del(`/v2/images/${image.id}`)).status).toBe(403);
      });

      it('lets the admin see every project image and set any owner', async () => {
        const image = await create({ visibility: 'private' }, bob);
        expect(await listed(admin)).toContain(image.id);
        const owned = await admin.post('/v2/images', { name: 'for carol', owner: CAROL.project });
        expect(owned.json().owner).toBe(CAROL.project);
        expect((await carol.get(`/v2/images/${owned.json().id}`)).status).toBe(200);
      });
    });

    describe('deactivate and reactivate', () => {
      it('forbids downloads of a deactivated image to non-admins, then restores them', async () => {
        const data = randomBytes(512);
        const image = await create();
        expect((await upload(glimpse.url, image.id, data, ALICE)).status).toBe(204);
        expect((await alice.post(`/v2/images/${image.id}/actions/deactivate`)).status).toBe(204);
        expect((await alice.get(`/v2/images/${image.id}`)).json().status).toBe('deactivated');
        expect((await alice.post(`/v2/images/${image.id}/actions/deactivate`)).status).toBe(204);
        expect((await download(glimpse.url, image.id, ALICE)).status).toBe(403);
        const asAdmin = await download(glimpse.url, image.id, ADMIN);
        expect(asAdmin.status).toBe(200);
        expect(asAdmin.body.equals(data)).toBe(true);
        expect((await alice.post(`/v2/images/${image.id}/actions/reactivate`)).status).toBe(204);
        expect((await download(glimpse.url, image.id, ALICE)).body.equals(data)).toBe(true);
      });

      it('answers 403 for a queued image, another project (404 when invisible) and unknown images', async () => {
        const image = await create();
        expect((await alice.post(`/v2/images/${image.id}/actions/deactivate`)).status).toBe(403);
        expect((await alice.post(`/v2/images/${image.id}/actions/reactivate`)).status).toBe(403);
        expect((await bob.post(`/v2/images/${image.id}/actions/deactivate`)).status).toBe(404);
        expect((await alice.post(`/v2/images/${randomUUID()}/actions/deactivate`)).status).toBe(404);
      });
    });

    describe('quotas', () => {
      it('enforces image_tag_quota on create, PATCH and tag PUT (413)', async () => {
        expect((await alice.post('/v2/images', { tags: ['a', 'b', 'c', 'd'] })).status).toBe(413);
        const image = await create({ tags: ['a', 'b', 'c'] });
        expect((await alice.put(`/v2/images/${image.id}/tags/d`)).status).toBe(413);
        expect((await alice.put(`/v2/images/${image.id}/tags/a`)).status).toBe(204);
        expect((await alice.patch(`/v2/images/${image.id}`, [{ op: 'replace', path: '/tags', value: ['a', 'b', 'c', 'd'] }])).status).toBe(413);
      });

      it('enforces image_property_quota on create and PATCH (413)', async () => {
        expect((await alice.post('/v2/images', { p1: '1', p2: '2', p3: '3', p4: '4' })).status).toBe(413);
        const image = await create({ p1: '1', p2: '2', p3: '3' });
        expect((await alice.patch(`/v2/images/${image.id}`, [{ op: 'add', path: '/p4', value: '4' }])).status).toBe(413);
        expect((await alice.patch(`/v2/images/${image.id}`, [{ op: 'replace', path: '/p1', value: 'x' }])).status).toBe(200);
      });

      it('enforces user_storage_quota across the project images (413) and frees space on delete', async () => {
        const first = await create({}, carol);
        expect((await upload(glimpse.url, first.id, randomBytes(6 * 1024), CAROL)).status).toBe(204);
        const second = await create({}, carol);
        const over = await upload(glimpse.url, second.id, randomBytes(6 * 1024), CAROL, { chunked: true });
        expect(over.status).toBe(413);
        expect((await carol.get(`/v2/images/${second.id}`)).json().status).toBe('queued');
        expect((await carol.del(`/v2/images/${first.id}`)).status).toBe(204);
        expect((await upload(glimpse.url, second.id, randomBytes(6 * 1024), CAROL)).status).toBe(204);
      });

      it('reports usage in GET /v2/info/usage', async () => {
        const usage = (await carol.get('/v2/info/usage')).json().usage;
        // Glance 25 without Keystone unified limits answers {"usage": {}}; Glimpse reports the real
        // usage (docs/compatibility.md).
        if (isGlance) {
          expect(usage).toEqual({});
          return;
        }
        expect(usage.image_size_total).toEqual({ limit: 0, usage: 0 });
        expect(usage.image_count_total.usage).toBeGreaterThanOrEqual(1);
        expect(usage.image_count_uploading).toEqual({ limit: -1, usage: 0 });
      });
    });
  });
}
