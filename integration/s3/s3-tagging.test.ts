// Object tagging (issue 12 item 14) with boto3 against a real cluster over
// HTTPS: Put/Get/DeleteObjectTagging, Tagging on PutObject, CopyObject
// (TaggingDirective) and CreateMultipartUpload, x-amz-tagging-count
// (TagCount) on GET and HEAD, S3's limits and errors, a multipart object
// retagged three times still reading its parts, and bucket tagging.

import { after, before, describe, it } from 'node:test';
import { boto3Checks, pyCode } from '../harness/boto3-checks.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const PRELUDE = pyCode('message') + [
  'def tags(key, **kw):',
  "    return [(t['Key'], t['Value']) for t in s3.get_object_tagging(Bucket='tags', Key=key, **kw)['TagSet']]",
  'def tagset(pairs):',
  "    return {'TagSet': [{'Key': k, 'Value': v} for k, v in pairs]}",
  'def count_header(key):',
  "    return s3.head_object(Bucket='tags', Key=key)['ResponseMetadata']['HTTPHeaders'].get('x-amz-tagging-count')",
].join('\n');

describe('object tagging with boto3 (issue 12 item 14)', () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ t: 1, tls: true });
  });
  after(() => tc?.dispose());

  const runPy = (lines: string[]): Promise<void> => boto3Checks(tc, PRELUDE, lines);

  it('put/get/delete_object_tagging, Tagging on put_object, TagCount on GET and HEAD, NoSuchKey, NoSuchVersion', async () => {
    await runPy([
      "s3.create_bucket(Bucket='tags')",
      "s3.put_object(Bucket='tags', Key='plain', Body=b'p' * 100000, ContentType='text/x-plain')",
      "assert tags('plain') == []",
      "assert 'TagCount' not in s3.get_object(Bucket='tags', Key='plain'), 'no count without tags'",
      "assert count_header('plain') is None",
      "before = s3.head_object(Bucket='tags', Key='plain')",
      "s3.put_object_tagging(Bucket='tags', Key='plain', Tagging=tagset([('b', '2'), ('a', 'x & <y>'), ('e', '')]))",
      "assert tags('plain') == [('b', '2'), ('a', 'x & <y>'), ('e', '')], tags('plain')",
      "o = s3.get_object(Bucket='tags', Key='plain')",
      "assert o['TagCount'] == 3, o.get('TagCount')",
      "assert o['Body'].read() == b'p' * 100000",
      "assert count_header('plain') == '3'",
      "h = s3.head_object(Bucket='tags', Key='plain')",
      "assert (h['ETag'], h['LastModified'], h['ContentType']) == (before['ETag'], before['LastModified'], 'text/x-plain'), h",
      "s3.delete_object_tagging(Bucket='tags', Key='plain')",
      "assert tags('plain') == []",
      "assert count_header('plain') is None",
      "assert s3.get_object(Bucket='tags', Key='plain')['Body'].read() == b'p' * 100000",
      "s3.put_object(Bucket='tags', Key='hdr', Body=b'h', Tagging='k1=v1&k%202=v%262')",
      "assert tags('hdr') == [('k1', 'v1'), ('k 2', 'v&2')], tags('hdr')",
      "assert s3.get_object(Bucket='tags', Key='hdr')['TagCount'] == 2",
      "assert tags('hdr', VersionId='null') == [('k1', 'v1'), ('k 2', 'v&2')]",
      "for f in [lambda: s3.get_object_tagging(Bucket='tags', Key='absent'),",
      "          lambda: s3.put_object_tagging(Bucket='tags', Key='absent', Tagging=tagset([('a', 'b')])),",
      "          lambda: s3.delete_object_tagging(Bucket='tags', Key='absent')]:",
      "    c = code(f)",
      "    assert c[:2] == ('NoSuchKey', 404), c",
      "c = code(lambda: s3.get_object_tagging(Bucket='tags', Key='hdr', VersionId='3HL4kqtJlcpXroDTDmJ'))",
      "assert c[:2] == ('NoSuchVersion', 404), c",
    ]);
  });

  it('the limits: 10 tags, keys 128 and values 256 characters, unique keys; errors as AWS gives them', async () => {
    await runPy([
      "s3.create_bucket(Bucket='tags')",
      "s3.put_object(Bucket='tags', Key='lim', Body=b'l')",
      "ten = [(f'k{i}', f'v{i}') for i in range(10)]",
      "s3.put_object_tagging(Bucket='tags', Key='lim', Tagging=tagset(ten))",
      "assert tags('lim') == ten",
      "s3.put_object_tagging(Bucket='tags', Key='lim', Tagging=tagset([('k' * 128, 'v' * 256), ('\u00e9' * 128, '\u20ac' * 256)]))",
      "assert tags('lim') == [('k' * 128, 'v' * 256), ('\u00e9' * 128, '\u20ac' * 256)]",
      "cases = [",
      "    (ten + [('k10', 'v')], 'BadRequest', 'Object tags cannot be greater than 10'),",
      "    ([('k' * 129, 'v')], 'InvalidTag', 'The TagKey you have provided is too long, max 128'),",
      "    ([('k', 'v' * 257)], 'InvalidTag', 'The TagValue you have provided is too long, max 256'),",
      "    ([('a', '1'), ('a', '2')], 'InvalidTag', 'Cannot provide multiple Tags with the same key'),",
      "]",
      "for pairs, want, msg in cases:",
      "    c = code(lambda: s3.put_object_tagging(Bucket='tags', Key='lim', Tagging=tagset(pairs)))",
      "    assert c == (want, 400, msg), c",
      "many = '&'.join(f'k{i}=v' for i in range(11))",
      "c = code(lambda: s3.put_object(Bucket='tags', Key='lim2', Body=b'x', Tagging=many))",
      "assert c[:2] == ('BadRequest', 400), c",
      "c = code(lambda: s3.put_object(Bucket='tags', Key='lim2', Body=b'x', Tagging='a=1&a=2'))",
      "assert c[:2] == ('InvalidArgument', 400), c",
      "assert code(lambda: s3.head_object(Bucket='tags', Key='lim2'))[1] == 404",
      "assert tags('lim') == [('k' * 128, 'v' * 256), ('\u00e9' * 128, '\u20ac' * 256)], 'refused puts changed nothing'",
    ]);
  });

  it('copy_object with TaggingDirective COPY and REPLACE', async () => {
    await runPy([
      "s3.create_bucket(Bucket='tags')",
      "s3.put_object(Bucket='tags', Key='src', Body=b'src', Tagging='s=1')",
      "s3.copy_object(Bucket='tags', Key='c1', CopySource={'Bucket': 'tags', 'Key': 'src'})",
      "assert tags('c1') == [('s', '1')]",
      "s3.copy_object(Bucket='tags', Key='c2', CopySource={'Bucket': 'tags', 'Key': 'src'}, TaggingDirective='COPY', Tagging='ignored=1')",
      "assert tags('c2') == [('s', '1')]",
      "s3.copy_object(Bucket='tags', Key='c3', CopySource={'Bucket': 'tags', 'Key': 'src'}, TaggingDirective='REPLACE', Tagging='r=2')",
      "assert tags('c3') == [('r', '2')]",
      "assert s3.get_object(Bucket='tags', Key='c3')['TagCount'] == 1",
      "s3.copy_object(Bucket='tags', Key='c4', CopySource={'Bucket': 'tags', 'Key': 'src'}, TaggingDirective='REPLACE')",
      "assert tags('c4') == []",
    ]);
  });

  it('a presigned POST form with a tagging field', async () => {
    await runPy([
      'import urllib.request, urllib.error, ssl',
      "s3.create_bucket(Bucket='tags')",
      "ctx = ssl.create_default_context(cafile=os.environ.get('PS_CA'))",
      'def post(key, tagging):',
      "    p = s3.generate_presigned_post('tags', key, Fields={'tagging': tagging}, Conditions=[{'tagging': tagging}])",
      "    b = '----ps' + os.urandom(8).hex()",
      "    parts = [f'--{b}\\r\\nContent-Disposition: form-data; name=\"{k}\"\\r\\n\\r\\n{v}\\r\\n'.encode() for k, v in p['fields'].items()]",
      "    body = b''.join(parts) + f'--{b}\\r\\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\\r\\n\\r\\n'.encode() + b'posted' + f'\\r\\n--{b}--\\r\\n'.encode()",
      "    req = urllib.request.Request(p['url'], data=body, method='POST', headers={'Content-Type': f'multipart/form-data; boundary={b}'})",
      '    try:',
      "        return urllib.request.urlopen(req, context=ctx).status, b''",
      '    except urllib.error.HTTPError as e:',
      '        return e.code, e.read()',
      "st, txt = post('posted', '<Tagging><TagSet><Tag><Key>via</Key><Value>form</Value></Tag></TagSet></Tagging>')",
      'assert st == 204, (st, txt)',
      "assert tags('posted') == [('via', 'form')]",
      "st, txt = post('posted2', '<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>')",
      "assert st == 400 and b'<Code>MalformedXML</Code>' in txt, (st, txt)",
    ]);
  });

  it('put/get/delete_bucket_tagging: NoSuchTagSet when unset, up to 50 tags', async () => {
    await runPy([
      "s3.create_bucket(Bucket='btags')",
      "c = code(lambda: s3.get_bucket_tagging(Bucket='btags'))",
      "assert c[:2] == ('NoSuchTagSet', 404), c",
      "fifty = [(f'k{i}', f'v{i}') for i in range(50)]",
      "s3.put_bucket_tagging(Bucket='btags', Tagging=tagset(fifty))",
      "assert [(t['Key'], t['Value']) for t in s3.get_bucket_tagging(Bucket='btags')['TagSet']] == fifty",
      "c = code(lambda: s3.put_bucket_tagging(Bucket='btags', Tagging=tagset(fifty + [('k50', 'v')])))",
      "assert c == ('BadRequest', 400, 'Bucket tag count cannot be greater than 50'), c",
      "s3.put_bucket_tagging(Bucket='btags', Tagging=tagset([('team', 'storage')]))",
      "assert s3.get_bucket_tagging(Bucket='btags')['TagSet'] == [{'Key': 'team', 'Value': 'storage'}]",
      "s3.delete_bucket_tagging(Bucket='btags')",
      "c = code(lambda: s3.get_bucket_tagging(Bucket='btags'))",
      "assert c[:2] == ('NoSuchTagSet', 404), c",
      "s3.head_bucket(Bucket='btags')",
    ]);
  });

  it('Tagging on create_multipart_upload; a multipart object retagged keeps its ETag and bytes', async () => {
    await runPy([
      "import os",
      "s3.create_bucket(Bucket='tags')",
      "a, b = os.urandom(5 * 1024 * 1024), os.urandom(70000)",
      "u = s3.create_multipart_upload(Bucket='tags', Key='mp', Tagging='m=1&n=2')['UploadId']",
      "p1 = s3.upload_part(Bucket='tags', Key='mp', UploadId=u, PartNumber=1, Body=a)",
      "p2 = s3.upload_part(Bucket='tags', Key='mp', UploadId=u, PartNumber=2, Body=b)",
      "s3.complete_multipart_upload(Bucket='tags', Key='mp', UploadId=u, MultipartUpload={'Parts': [",
      "    {'PartNumber': 1, 'ETag': p1['ETag']}, {'PartNumber': 2, 'ETag': p2['ETag']}]})",
      "assert tags('mp') == [('m', '1'), ('n', '2')]",
      "etag = s3.head_object(Bucket='tags', Key='mp')['ETag']",
      "assert etag.endswith('-2\"'), etag",
      "for i in range(3):",
      "    s3.put_object_tagging(Bucket='tags', Key='mp', Tagging=tagset([('round', str(i))]))",
      "    s3.put_object(Bucket='tags', Key=f'other{i}', Body=b'o')",
      "assert tags('mp') == [('round', '2')]",
      "o = s3.get_object(Bucket='tags', Key='mp')",
      "assert (o['ETag'], o['TagCount']) == (etag, 1), o",
      "assert o['Body'].read() == a + b",
      "s3.delete_object_tagging(Bucket='tags', Key='mp')",
      "assert count_header('mp') is None",
      "assert s3.get_object(Bucket='tags', Key='mp', Range='bytes=5242870-5242889')['Body'].read() == a[-10:] + b[:10]",
    ]);
  });
});
