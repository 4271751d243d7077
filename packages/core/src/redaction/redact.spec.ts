import { jsonSyntaxError, redactSecrets, redactUrl } from './redact';

describe('redaction', () => {
  it('removes passwords from URLs and keyword strings', () => {
    expect(redactUrl('postgresql://app:s3cret@db:5432/app')).toBe('postgresql://app:***@db:5432/app');
    expect(redactUrl('host=db password=s3cret user=app')).toBe('host=db password=*** user=app');
    expect(redactUrl('postgresql://app@db/app')).toBe('postgresql://app@db/app');
    expect(redactUrl("host=h password='it\\'s s3cret' user=r")).toBe("host=h password='***' user=r");
    expect(redactUrl('PGPASSWORD=s3cret pg_dump -h db')).toBe('PGPASSWORD=*** pg_dump -h db');
    expect(redactUrl("alter system set primary_conninfo = 'host=h password=s3cret'")).toBe("alter system set primary_conninfo = 'host=h password=***'");
    expect(redactUrl('https://h/p?user=a&password=s3cret&x=1')).toBe('https://h/p?user=a&password=***&x=1');
  });

  it('redacts secret keys at any depth and leaves the rest', () => {
    const input = {
      user: 'app',
      password: 'p1',
      nested: { apiKey: 'k', list: [{ token: 't', n: 3 }] },
      url: 'postgres://u:p2@h/d',
    };
    const out = redactSecrets(input);
    expect(out).toEqual({
      user: 'app',
      password: '***',
      nested: { apiKey: '***', list: [{ token: '***', n: 3 }] },
      url: 'postgres://u:***@h/d',
    });
    expect(JSON.stringify(out)).not.toMatch(/p1|p2|"k"|"t"/);
    expect(input.password).toBe('p1');
  });
});

describe('jsonSyntaxError', () => {
  it('gives the position of a syntax error and never a snippet of the text', () => {
    const text = '{\n  "password": "hunter2-secret"\n  "x": 1\n}';
    let message = '';
    try {
      JSON.parse(text);
    } catch (error) {
      message = jsonSyntaxError(error, text);
    }
    expect(message).toMatch(/^syntax error at line 3, column \d+$/);
    expect(message).not.toContain('hunter2');
  });

  it('says when the text is empty', () => {
    expect(jsonSyntaxError(new SyntaxError('Unexpected end of JSON input'), '  ')).toBe('the text is empty');
  });
});
