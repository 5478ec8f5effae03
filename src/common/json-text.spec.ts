import { JsonText } from './json-text';

describe('JsonText', () => {
  it('serializes as the value its text holds, never as the wrapper', () => {
    expect(JSON.stringify({ page: new JsonText('{"logs": [{"data": {"ip": "203.0.113.7"}}], "total": 1}') })).toBe(
      '{"page":{"logs":[{"data":{"ip":"203.0.113.7"}}],"total":1}}',
    );
  });
});
