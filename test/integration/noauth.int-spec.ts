import { randomBytes } from 'node:crypto';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { api, download, upload } from '../support/http';

/** The embedded default as a new user meets it: noauth, every caller an admin without project. */
describe('embedded default (noauth)', () => {
  let glimpse: RunningGlimpse;
  beforeAll(async () => {
    glimpse = await startGlimpse('embedded');
  }, 60000);
  afterAll(async () => glimpse?.stop());

  it('ignores identity headers, owns nothing, and sees every image', async () => {
    const anyone = api(glimpse.url);
    const spoofed = api(glimpse.url, { project: 'project-x', roles: ['member'] });
    const created = await spoofed.post('/v2/images', { name: 'a', visibility: 'private', disk_format: 'raw', container_format: 'bare' });
    expect(created.status).toBe(201);
    expect(created.json().owner).toBeNull();
    const publicImage = await anyone.post('/v2/images', { name: 'b', visibility: 'public' });
    expect(publicImage.status).toBe(201);
    const ids = (await anyone.get('/v2/images')).json().images.map((i: any) => i.id);
    expect(ids).toEqual(expect.arrayContaining([created.json().id, publicImage.json().id]));
  });

  it('keeps data under the data directory and serves it back', async () => {
    const anyone = api(glimpse.url);
    const image = (await anyone.post('/v2/images', { name: 'c', disk_format: 'raw', container_format: 'bare' })).json();
    const data = randomBytes(4096);
    expect((await upload(glimpse.url, image.id, data, null)).status).toBe(204);
    expect((await download(glimpse.url, image.id, null)).body.equals(data)).toBe(true);
    const location = (await anyone.get(`/v2/images/${image.id}`)).json();
    expect(location.locations).toBeUndefined();
    expect(location.direct_url).toBeUndefined();
  });
});
