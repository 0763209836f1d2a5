import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSigV4Signer } from '../../../local/cli/aws-target.ts';

test('signs requests exactly as the AWS SigV4 test suite expects (get-vanilla)', async () => {
  // The published "get-vanilla" vector of the AWS Signature Version 4 test suite.
  const sign = createSigV4Signer({
    region: 'us-east-1',
    service: 'service',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    applyChecksum: false,
    signingDate: new Date('2015-08-30T12:36:00Z'),
  });
  const headers = await sign({
    method: 'GET',
    url: new URL('https://example.amazonaws.com/'),
    headers: {},
    body: undefined,
  });
  assert.equal(headers['x-amz-date'], '20150830T123600Z');
  assert.equal(
    headers.authorization,
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  );
});

test('signs an execute-api POST with the body hash and the session token', async () => {
  const sign = createSigV4Signer({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' },
  });
  const headers = await sign({
    method: 'POST',
    url: new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/v1/registrations'),
    headers: { 'Content-Type': 'application/json' },
    body: '{"a":1}',
  });
  assert.match(
    headers.authorization ?? '',
    /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
  );
  assert.equal(headers['x-amz-security-token'], 'token');
  assert.equal(
    headers['x-amz-content-sha256'],
    '015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862',
  );
});
