import { describe, expect, it } from 'vitest';
import { parseTemplate, renderTemplate } from './template';

const container = { ID: 'abc123', Names: 'web', State: { Status: 'running' }, Labels: { a: '1' } };

describe('--format templates', () => {
  it('substitutes fields and nested fields', () => {
    expect(renderTemplate('{{.ID}} {{.Names}}', [container])).toBe('abc123 web\n');
    expect(renderTemplate('{{.State.Status}}', [container])).toBe('running\n');
    expect(renderTemplate('{{ .Missing }}', [container])).toBe('<no value>\n');
  });
  it('prints JSON for {{json .}} and {{json .Field}}', () => {
    expect(renderTemplate('{{json .}}', [{ a: 1 }])).toBe('{"a":1}\n');
    expect(renderTemplate('{{json .Labels}}', [container])).toBe('{"a":"1"}\n');
  });
  it('prints a header and aligned columns for table', () => {
    expect(renderTemplate('table {{.ID}}\t{{.Names}}', [container, { ID: 'd', Names: 'longer-name' }])).toBe(
      'CONTAINER ID   NAMES\nabc123         web\nd              longer-name\n',
    );
  });
  it('refuses actions it does not support', () => {
    expect(() => parseTemplate('{{range .Mounts}}x{{end}}')).toThrow(/unsupported action/);
  });
});
