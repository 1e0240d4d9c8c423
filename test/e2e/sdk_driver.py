"""Drives Glimpse with the real openstacksdk (conn.image.*) for test/e2e/openstacksdk.e2e-spec.ts.

Run with Debian's /usr/bin/python3 (python3-openstacksdk 0.101). It reads one JSON document on
stdin:

    {"endpoint": "http://127.0.0.1:9292",
     "identities": {"alice": {"project": "project-a", "user": "alice", "roles": ["member"]},
                    "nobody": {"anonymous": true}, ...},
     "ops": [{"as": "alice", "call": "get_image", "args": ["<id>"], "kwargs": {}}, ...]}

and prints one JSON list on stdout, one entry per op, in order:

    {"ok": true, "value": <result>, "requests": [["GET", "<url>", 200], ...]}
    {"ok": false, "error": {"type": "ForbiddenException", "status_code": 403, "message": ...},
     "requests": [...]}

Every identity gets its own keystoneauth session (auth: keystoneauth1.noauth.NoAuth) whose
requests carry the headers an authenticating proxy sets in trusted mode (X-Identity-Status,
X-Project-Id, X-User-Id, X-Roles; none for an "anonymous" one), and its own openstack.connection.Connection with
image_endpoint_override, so the SDK discovers the version from the versions document exactly
as it does against Glance. `requests` lists the HTTP exchanges the op caused (to see paging).

Results: a Resource becomes its to_dict(computed=False) (SDK attribute names, e.g. hash_value for
os_hash_value); a generator becomes a list; bytes become {"__bytes__": base64}; a
requests.Response (download_image) becomes {"__response__": {"status_code", "headers",
"content"}}. In args and kwargs, {"__file__": path} becomes the file opened for reading (binary),
for calls that take a file object (upload_image's data).
"""

import base64
import inspect
import json
import sys

import requests
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
import openstack
from openstack import exceptions
from openstack import resource


def trusted_headers(who):
    if who.get('anonymous'):
        return {}  # a caller the authenticating proxy did not vouch for
    return {
        'X-Identity-Status': 'Confirmed',
        'X-Project-Id': who['project'],
        'X-User-Id': who.get('user') or who['project'] + '-user',
        'X-Roles': ','.join(who.get('roles') or ['member', 'reader']),
    }


class Identity:
    def __init__(self, endpoint, who):
        self.exchanges = []
        sess = ks_session.Session(
            auth=noauth.NoAuth(endpoint=endpoint),
            additional_headers=trusted_headers(who),
        )
        sess.session.hooks['response'].append(self._record)
        self.conn = openstack.connection.Connection(
            session=sess,
            image_endpoint_override=endpoint,
        )

    def _record(self, response, *args, **kwargs):
        self.exchanges.append([response.request.method, response.request.url, response.status_code])


def serialise(value):
    if isinstance(value, resource.Resource):
        out = value.to_dict(computed=False)
        out['__type__'] = type(value).__name__
        return serialise(out)
    if isinstance(value, requests.Response):
        return {'__response__': {
            'status_code': value.status_code,
            'headers': {k.lower(): v for k, v in value.headers.items()},
            'content': base64.b64encode(value.content).decode(),
        }}
    if inspect.isgenerator(value) or isinstance(value, (map, filter)):
        return [serialise(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return {'__bytes__': base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {str(k): serialise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [serialise(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def decode(value, opened):
    if isinstance(value, dict):
        if set(value) == {'__file__'}:
            opened.append(open(value['__file__'], 'rb'))
            return opened[-1]
        return {k: decode(v, opened) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v, opened) for v in value]
    return value


def describe_error(error):
    out = {'type': type(error).__name__, 'message': str(error)}
    if isinstance(error, exceptions.HttpException):
        out['status_code'] = error.status_code
        out['details'] = error.details
        out['request_id'] = getattr(error, 'request_id', None)
    return out


def main():
    doc = json.load(sys.stdin)
    endpoint = doc['endpoint']
    identities = {name: Identity(endpoint, who) for name, who in doc['identities'].items()}
    results = []
    for op in doc['ops']:
        who = identities[op['as']]
        before = len(who.exchanges)
        opened = []
        try:
            method = getattr(who.conn.image, op['call'])
            args = decode(op.get('args', []), opened)
            kwargs = decode(op.get('kwargs', {}), opened)
            value = method(*args, **kwargs)
            # consume generators inside the try: listing errors surface while paging
            results.append({'ok': True, 'value': serialise(value)})
        except Exception as error:  # noqa: BLE001 - the test asserts on the error
            results.append({'ok': False, 'error': describe_error(error)})
        finally:
            for f in opened:
                f.close()
        results[-1]['requests'] = who.exchanges[before:]
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
