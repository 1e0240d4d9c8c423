import type { CallerContext } from '@glimpse/contracts';
import { filterValues, listRequest, pageLinks } from './list-query';
import { failure } from '../testing/thrown';

const CALLER: CallerContext = { projectId: 'p1', userId: 'u1', roles: ['member'], isAdmin: false };
const LIMITS = { limitParamDefault: 25, apiLimitMax: 100 };

function list(query: string) {
  return listRequest(CALLER, new URLSearchParams(query), LIMITS);
}

describe('listRequest', () => {
  it('asks for the default page, newest first, hiding os_hidden images', () => {
    expect(list('')).toEqual({
      caller: CALLER,
      filters: { osHidden: false },
      sort: [{ key: 'created_at', dir: 'desc' }],
      limit: 25,
      marker: undefined,
      memberStatus: undefined,
    });
  });

  it.each([
    ['limit=10', 10],
    ['limit=0', 0],
    ['limit=5000', 100],
  ])('takes %s as a limit of %i', (query, limit) => expect(list(query).limit).toBe(limit));

  it('caps the default limit at api_limit_max', () => {
    expect(listRequest(CALLER, new URLSearchParams(), { limitParamDefault: 50, apiLimitMax: 20 }).limit).toBe(20);
  });

  it.each([
    ['limit=-1', 'limit param must be positive'],
    ['limit=ten', 'limit param must be an integer'],
    ['limit=1.5', 'limit param must be an integer'],
  ])('rejects %s', (query, message) => expect(failure(() => list(query))).toEqual({ code: 'bad_request', message }));

  it.each([
    ['sort_key=name', [{ key: 'name', dir: 'desc' }]],
    ['sort_dir=asc', [{ key: 'created_at', dir: 'asc' }]],
    ['sort_key=name&sort_key=size&sort_dir=asc', [{ key: 'name', dir: 'asc' }, { key: 'size', dir: 'asc' }]],
    ['sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc', [{ key: 'name', dir: 'asc' }, { key: 'size', dir: 'desc' }]],
    ['sort=name:asc,size', [{ key: 'name', dir: 'asc' }, { key: 'size', dir: 'desc' }]],
    ['sort= status : asc , id:desc', [{ key: 'status', dir: 'asc' }, { key: 'id', dir: 'desc' }]],
    ['sort=name:', [{ key: 'name', dir: 'desc' }]],
  ])('sorts %s', (query, sort) => expect(list(query).sort).toEqual(sort));

  it.each([
    ['sort=name&sort_key=size', 'The sort param can not be combined with sort_key or sort_dir.'],
    ['sort=name&sort_dir=asc', 'The sort param can not be combined with sort_key or sort_dir.'],
    ['sort_key=name&sort_key=size&sort_key=id&sort_dir=asc&sort_dir=desc', 'Number of sort dirs does not match the number of sort keys'],
    ['sort_dir=asc&sort_dir=desc', 'Number of sort dirs does not match the number of sort keys'],
    ['sort_key=owner', 'Invalid sort key: owner. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.'],
    ['sort=size:up', 'Invalid sort direction: up'],
    ['sort_dir=sideways', 'Invalid sort direction: sideways'],
  ])('rejects %s', (query, message) => expect(failure(() => list(query))).toEqual({ code: 'bad_request', message }));

  it('turns the filters into registry filters', () => {
    const query =
      'name=cirros&status=in:active,queued&disk_format=eq:qcow2&container_format=bare&visibility=all&owner=p2' +
      '&tag=a&tag=b&size_min=10&size_max=20&checksum=abc&os_hash_value=def&os_hidden=TRUE&protected=false' +
      '&hw_machine=q35&os_distro=ubuntu&member_status=accepted&marker=m1';
    const request = list(query);
    expect(request.filters).toEqual({
      name: ['cirros'],
      status: ['active', 'queued'],
      diskFormat: ['qcow2'],
      containerFormat: ['bare'],
      visibility: 'all',
      owner: 'p2',
      tags: ['a', 'b'],
      sizeMin: 10,
      sizeMax: 20,
      checksum: 'abc',
      osHashValue: 'def',
      osHidden: true,
      protected: false,
      properties: { hw_machine: 'q35', os_distro: 'ubuntu' },
    });
    expect([request.marker, request.memberStatus]).toEqual(['m1', 'accepted']);
  });

  it('reads created_at and updated_at filters to the second, as UTC', () => {
    const { filters } = list('created_at=gte:2020-01-02T03:04:05.678%2B01:00&updated_at=2021-06-01');
    expect([filters.createdAt, filters.updatedAt]).toEqual([
      { op: 'gte', at: '2020-01-02T02:04:05.000Z' },
      { op: 'eq', at: '2021-06-01T00:00:00.000Z' },
    ]);
  });

  it.each([
    ['visibility=everyone', 'Invalid visibility value: everyone'],
    ['size_min=-1', 'size_min must be a non-negative integer: -1'],
    ['size_max=big', 'size_max must be a non-negative integer: big'],
    ['os_hidden=yes', 'Invalid value for os_hidden: yes. It must be true or false.'],
    ['protected=True', "Invalid value 'True' for 'protected' filter. Valid values are 'true' or 'false'."],
    ['protected=1', "Invalid value '1' for 'protected' filter. Valid values are 'true' or 'false'."],
    ['changes-since=2020-01-01', 'The "changes-since" filter is no longer available on v2.'],
    ['created_at=in:2020-01-01', 'Unable to filter created_at with operator in.'],
    ['updated_at=yesterday', "Invalid updated_at filter 'yesterday': use [gt|gte|eq|neq|lt|lte:]<ISO 8601 time>."],
    ['member_status=maybe', 'Invalid status: maybe'],
    ['name=gt:a', 'Unable to filter with operator gt.'],
  ])('rejects %s', (query, message) => expect(failure(() => list(query))).toEqual({ code: 'bad_request', message }));
});

describe('filterValues', () => {
  it.each([
    ['plain', ['plain']],
    ['eq:x', ['x']],
    ['in:a,b', ['a', 'b']],
    ['in:a,"b,c",d', ['a', 'b,c', 'd']],
    ['in:"x,y"', ['x,y']],
    ['in:a,,b', ['a', '', 'b']],
    ['abc:def', ['abc:def']],
  ])('reads %s', (raw, values) => expect(filterValues(raw)).toEqual(values));

  it.each([
    ['in:"a,b', 'Invalid filter value: the quotes are not closed.'],
    ['in:"a"b', 'Invalid filter value: a quoted value must be followed by a comma.'],
    ['lte:5', 'Unable to filter with operator lte.'],
  ])('rejects %s', (raw, message) => expect(failure(() => filterValues(raw))).toEqual({ code: 'bad_request', message }));
});

describe('pageLinks', () => {
  it('drops the marker from first and appends the last id to next, keeping repeated params', () => {
    const params = new URLSearchParams('tag=a&marker=old&tag=b&limit=2');
    expect(pageLinks(params, 'id-9')).toEqual({
      first: '/v2/images?tag=a&tag=b&limit=2',
      next: '/v2/images?tag=a&tag=b&limit=2&marker=id-9',
    });
  });

  it('has no next on the last page and a bare first without params', () => {
    expect(pageLinks(new URLSearchParams('marker=x'), null)).toEqual({ first: '/v2/images' });
    expect(pageLinks(new URLSearchParams(), 'id-1')).toEqual({ first: '/v2/images', next: '/v2/images?marker=id-1' });
  });

  it('encodes values', () => {
    expect(pageLinks(new URLSearchParams([['name', 'a b&c']]), null).first).toBe('/v2/images?name=a+b%26c');
  });
});
